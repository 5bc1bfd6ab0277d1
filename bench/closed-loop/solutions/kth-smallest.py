vals = sorted(set([42, 7, 19, 3, 88, 23, 7, 56]))
print(f"3rd smallest: {vals[2]}")
print(f"2nd largest: {vals[-2]}")
