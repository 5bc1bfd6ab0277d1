data = [1, [2, [3, 4]], 5, [[6]]]

def flat(x):
    out = []
    for e in x:
        out += flat(e) if isinstance(e, list) else [e]
    return out

def weighted(x, depth):
    return sum(weighted(e, depth + 1) if isinstance(e, list) else e * depth for e in x)

print("flat: " + " ".join(map(str, flat(data))))
print(f"weighted: {weighted(data, 1)}")
