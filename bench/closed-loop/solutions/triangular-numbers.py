print(" ".join(str(k * (k + 1) // 2) for k in range(1, 9)))
