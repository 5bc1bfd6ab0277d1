import json

doc = json.loads('{"order": 1042, "customer": {"name": "Ada", "tier": "gold"}, "items": [{"sku": "A1", "qty": 2, "price": 3.5}, {"sku": "B7", "qty": 1, "price": 10}, {"sku": "K3", "qty": 4, "price": 0.25}]}')
items = doc["items"]
print(f"order {doc['order']} for {doc['customer']['name']} ({doc['customer']['tier']})")
print(f"items: {len(items)}")
print(f"units: {sum(i['qty'] for i in items)}")
print(f"total: {sum(i['qty'] * i['price'] for i in items):.2f}")
