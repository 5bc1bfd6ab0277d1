ivs = sorted([[8, 10], [1, 3], [15, 18], [2, 6], [9, 12], [18, 20]])
merged = []
for s, e in ivs:
    if merged and s <= merged[-1][1]:
        merged[-1][1] = max(merged[-1][1], e)
    else:
        merged.append([s, e])
for s, e in merged:
    print(f"{s}-{e}")
