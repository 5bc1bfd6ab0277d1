def safe_div(a, b):
    if b == 0:
        return (False, "division by 0")
    return (True, a / b)

for a, b in [(10, 2), (7, 0), (9, 4), (0, 3), (5, 0)]:
    ok, v = safe_div(a, b)
    print(f"{a} / {b} = {v:.2f}" if ok else f"{a} / {b} = error: {v}")
