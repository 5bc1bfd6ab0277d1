def first_repeat(xs):
    seen = set()
    for i, x in enumerate(xs):
        if x in seen:
            return f"first repeat: {x} at index {i}"
        seen.add(x)
    return "no repeats"

print(first_repeat([3, 8, 5, 2, 9, 5, 8, 1]))
print(first_repeat([4, 1, 7, 2]))
