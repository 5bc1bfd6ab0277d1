pairs = [(10, 4), (9, 3), (7, 8), (22, 7), (100, 8), (-15, 4), (0, 5)]
for a, b in pairs:
    if a % b == 0:
        q = str(a // b)
    else:
        q = f"{a / b:.3f}"
    print(f"{a} / {b} = {q}")
