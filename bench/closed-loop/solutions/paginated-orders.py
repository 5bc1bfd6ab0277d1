import json

# Mocked bodies of GET https://api.example.com/orders?page=<n>
pages = {
    1: '{"orders": [{"id": 1, "amount": 25.5}, {"id": 2, "amount": 14}], "next": 2}',
    2: '{"orders": [{"id": 3, "amount": 40}], "next": 3}',
    3: '{"orders": [{"id": 4, "amount": 9.75}, {"id": 5, "amount": 60}], "next": 0}',
}
page, fetched, orders = 1, 0, []
while page != 0:
    doc = json.loads(pages[page])
    fetched += 1
    orders += doc["orders"]
    page = doc["next"]
best = orders[0]
for o in orders:
    if o["amount"] > best["amount"]:
        best = o
print(f"pages: {fetched}")
print(f"orders: {len(orders)}")
print(f"total: {sum(o['amount'] for o in orders):.2f}")
print(f"largest: order {best['id']} ({best['amount']:.2f})")
