xs = [10, 13, 19, 20, 28, 35]
diffs = [b - a for a, b in zip(xs, xs[1:])]
print(" ".join(map(str, diffs)))
print(f"largest gap: {max(diffs)}")
