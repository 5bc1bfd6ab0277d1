import re

total = 0
for s in ["42", "-7", "abc", "3.5", "100", "12a"]:
    if re.fullmatch(r"-?[0-9]+", s):
        total += int(s)
        print(f"ok {int(s)}")
    else:
        print(f"error: '{s}' is not an integer")
print(f"sum of valid: {total}")
