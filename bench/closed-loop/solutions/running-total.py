acc, out = 0, []
for x in [3, 1, 4, 1, 5, 9, 2, 6]:
    acc += x
    out.append(str(acc))
print(" ".join(out))
