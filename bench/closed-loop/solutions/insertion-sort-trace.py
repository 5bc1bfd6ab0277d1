xs = [5, 2, 9, 1, 6]
for i in range(1, len(xs)):
    key, j = xs[i], i - 1
    while j >= 0 and xs[j] > key:
        xs[j + 1] = xs[j]
        j -= 1
    xs[j + 1] = key
    print(" ".join(map(str, xs)))
