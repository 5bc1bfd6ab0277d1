r1 = {"amy": 12, "raj": 7, "zoe": 15}
r2 = {"raj": 10, "zoe": 3, "kim": 8}
totals = {p: r1.get(p, 0) + r2.get(p, 0) for p in set(r1) | set(r2)}
for p in sorted(totals):
    print(f"{p} {totals[p]}")
best = sorted(totals, key=lambda p: (-totals[p], p))[0]
print(f"winner: {best}")
