counts = {}
for ch in "mississippi":
    counts[ch] = counts.get(ch, 0) + 1
for ch in sorted(counts):
    print(f"{ch}: {counts[ch]}")
