q = "page=2&sort=name&tag=red&tag=blue&limit=25"
params = {}
for part in q.split("&"):
    k, v = part.split("=", 1)
    params.setdefault(k, []).append(v)
for k, vs in params.items():
    print(f"{k}: {', '.join(vs)}")
