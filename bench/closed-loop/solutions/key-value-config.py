text = "name=Widget;color=blue;size=10;weight=2.5"
pairs = [p.split("=", 1) for p in text.split(";")]
for k, v in sorted(pairs):
    print(f"{k} = {v}")
print(f"keys: {len(pairs)}")
