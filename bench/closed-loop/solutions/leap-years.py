for y in [1900, 2000, 2023, 2024, 2100, 2400]:
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    print(f"{y}: {'leap' if leap else 'common'}")
