def gen(prefix, n):
    if len(prefix) == n:
        return [prefix]
    out = gen(prefix + "0", n)
    if not prefix.endswith("1"):
        out += gen(prefix + "1", n)
    return out

res = gen("", 4)
print(" ".join(res))
print(f"count: {len(res)}")
