text = "hello wide world of code"
print(" ".join(w[:1].upper() + w[1:] for w in text.split(" ")))
