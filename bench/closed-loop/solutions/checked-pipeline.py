import math
import re

def run(s):
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", s):
        return "error: not a number"
    x = float(s)
    if x <= 0:
        return "error: must be positive"
    return f"{10 / math.sqrt(x):.3f}"

for s in ["16", "-4", "abc", "2.25", "0"]:
    print(f"{s} -> {run(s)}")
