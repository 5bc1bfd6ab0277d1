def root(n):
    if n < 10:
        return n
    return root(sum(int(ch) for ch in str(n)))

for n in [9875, 12345, 999999, 7]:
    print(f"{n} -> {root(n)}")
