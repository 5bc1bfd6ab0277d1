const doc = JSON.parse(
  '{"order": 1042, "customer": {"name": "Ada", "tier": "gold"}, "items": [{"sku": "A1", "qty": 2, "price": 3.5}, {"sku": "B7", "qty": 1, "price": 10}, {"sku": "K3", "qty": 4, "price": 0.25}]}',
);
const items = doc.items;
console.log(`order ${doc.order} for ${doc.customer.name} (${doc.customer.tier})`);
console.log(`items: ${items.length}`);
console.log(`units: ${items.reduce((a, i) => a + i.qty, 0)}`);
console.log(`total: ${items.reduce((a, i) => a + i.qty * i.price, 0).toFixed(2)}`);
