for s in [95, 83, 71, 64, 50, 88, 75, 60]:
    if s >= 90:
        band = "excellent"
    elif s >= 75:
        band = "good"
    elif s >= 60:
        band = "pass"
    else:
        band = "fail"
    print(f"{s} {band}")
