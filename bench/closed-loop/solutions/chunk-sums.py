xs = list(range(1, 11))
for i in range(0, len(xs), 3):
    g = xs[i:i + 3]
    print(",".join(map(str, g)) + f" sum={sum(g)}")
