ops = ["deposit 50", "withdraw 30", "withdraw 500", "deposit -5", "transfer 10", "withdraw 20", "deposit abc"]
balance = 100
for op in ops:
    verb, amt = op.split(" ")
    if verb not in ("deposit", "withdraw"):
        print(f"error: unknown operation {verb}")
        continue
    if not amt.isdigit() or int(amt) <= 0:
        print(f"error: invalid amount {amt}")
        continue
    n = int(amt)
    if verb == "withdraw" and n > balance:
        print("error: insufficient funds")
        continue
    balance += n if verb == "deposit" else -n
    print(f"ok: balance {balance}")
print(f"final balance: {balance}")
