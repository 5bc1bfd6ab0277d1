for w in ["level", "Rotor", "banana", "Noon", "abcba", "ab"]:
    low = w.lower()
    print(f"{w}: {'yes' if low == low[::-1] else 'no'}")
