xs = [2, 7, 11, 15, 1, 8]

def find(target):
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            if xs[i] + xs[j] == target:
                return f"{i} {j}"
    return "no pair"

for t in [9, 16, 100]:
    print(f"{t}: {find(t)}")
