people = [("mia", 31), ("leo", 25), ("ava", 31), ("zed", 19), ("kai", 25), ("eli", 40)]
for name, age in sorted(people, key=lambda p: (-p[1], p[0])):
    print(f"{name} {age}")
