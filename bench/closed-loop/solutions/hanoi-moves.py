moves = []

def hanoi(n, src, dst, via):
    if n == 0:
        return
    hanoi(n - 1, src, via, dst)
    moves.append(f"disk {n}: {src} -> {dst}")
    hanoi(n - 1, via, dst, src)

hanoi(3, 1, 3, 2)
print("\n".join(moves))
print(f"moves: {len(moves)}")
