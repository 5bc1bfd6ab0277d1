def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True

count = 0
for p in range(2, 98):
    if is_prime(p) and is_prime(p + 2):
        print(f"{p} {p + 2}")
        count += 1
print(f"count: {count}")
