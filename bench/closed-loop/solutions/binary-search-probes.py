xs = [2, 5, 8, 12, 16, 23, 38, 56, 72, 91]
for target in [23, 2, 91, 7]:
    lo, hi, probes, found = 0, len(xs) - 1, 0, -1
    while lo <= hi:
        mid = (lo + hi) // 2
        probes += 1
        if xs[mid] == target:
            found = mid
            break
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    if found >= 0:
        print(f"{target}: index {found} ({probes} probes)")
    else:
        print(f"{target}: not found ({probes} probes)")
