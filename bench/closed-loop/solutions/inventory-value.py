from dataclasses import dataclass

@dataclass
class Item:
    name: str
    quantity: int
    price: float

items = [Item("apple", 10, 0.5), Item("pear", 4, 1.25), Item("plum", 0, 2.0), Item("kiwi", 7, 0.8)]
total = 0.0
for it in items:
    if it.quantity > 0:
        v = it.quantity * it.price
        total += v
        print(f"{it.name}: {v:.2f}")
print(f"total: {total:.2f}")
