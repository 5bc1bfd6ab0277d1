balance = 1000.0
for year in range(1, 6):
    balance *= 1.04
    print(f"year {year}: {balance:.2f}")
