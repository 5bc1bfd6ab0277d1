xs = [1, 2, 3, 4, 5, 6, 7]
left = xs[3:] + xs[:3]
right = xs[-2:] + xs[:-2]
print(" ".join(map(str, left)))
print(" ".join(map(str, right)))
