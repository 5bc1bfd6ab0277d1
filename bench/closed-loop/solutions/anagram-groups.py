words = ["listen", "silent", "enlist", "google", "gooegl", "cat", "act", "tac", "dog"]
groups = {}
for w in words:
    groups.setdefault("".join(sorted(w)), []).append(w)
gs = [sorted(g) for g in groups.values()]
gs.sort(key=lambda g: (-len(g), g[0]))
for g in gs:
    print(" ".join(g))
