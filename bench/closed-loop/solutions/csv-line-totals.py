text = "item,qty,price\npen,3,1.50\nbook,2,12.25\nbag,1,30.00"
total = 0.0
for line in text.split("\n")[1:]:
    item, qty, price = line.split(",")
    amount = int(qty) * float(price)
    total += amount
    print(f"{item} {amount:.2f}")
print(f"total: {total:.2f}")
