lines = [
    "2024-05-01T10:00:00 INFO start service=api",
    "2024-05-01T10:00:05 WARN slow service=db ms=850",
    "2024-05-01T10:01:10 ERROR timeout service=api ms=3000",
    "2024-05-01T10:02:00 INFO ok service=db ms=120",
    "2024-05-01T10:03:30 ERROR refused service=cache",
]
counts, slowest, errors = {}, None, []
for line in lines:
    parts = line.split(" ")
    level = parts[1]
    fields = dict(p.split("=", 1) for p in parts[3:])
    counts[level] = counts.get(level, 0) + 1
    if "ms" in fields:
        ms = int(fields["ms"])
        if slowest is None or ms > slowest[1]:
            slowest = (fields["service"], ms)
    if level == "ERROR":
        errors.append(fields["service"])
for level in sorted(counts):
    print(f"{level} {counts[level]}")
print(f"slowest: {slowest[0]} {slowest[1]}ms")
print("errors: " + ",".join(errors))
