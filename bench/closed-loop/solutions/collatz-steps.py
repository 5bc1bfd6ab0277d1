for start in [6, 7, 27, 97]:
    n, steps = start, 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    print(f"{start}: {steps}")
