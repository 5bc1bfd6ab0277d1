# Mocked contents of data.txt
text = "10\n# comment\n20\n\n  30  \n# another comment\n40"
values, skipped = [], 0
for line in text.split("\n"):
    s = line.strip()
    if s == "" or s.startswith("#"):
        skipped += 1
    else:
        values.append(int(s))
print(f"values: {len(values)}")
print(f"sum: {sum(values)}")
print(f"skipped: {skipped}")
