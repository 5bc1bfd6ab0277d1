xs = [4, 2, 12, 3, 8, 1, 7, 6]
print(" ".join(str(max(xs[i:i + 3])) for i in range(len(xs) - 2)))
