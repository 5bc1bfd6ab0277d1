def fact(n):
    return 1 if n == 0 else n * fact(n - 1)

for n in [0, 5, 10, 15]:
    print(f"{n}! = {fact(n)}")
