xs = [12, 7, 3, 18, 5, 10]
total = sum(xs)
print(f"sum={total}")
print(f"min={min(xs)}")
print(f"max={max(xs)}")
print(f"mean={total / len(xs):.2f}")
