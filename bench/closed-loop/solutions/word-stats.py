words = "the quick brown fox jumps over the lazy dog the end".split(" ")
print(f"words: {len(words)}")
print(f"distinct: {len(set(words))}")
