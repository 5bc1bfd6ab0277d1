const items = [
  { name: "apple", quantity: 10, price: 0.5 },
  { name: "pear", quantity: 4, price: 1.25 },
  { name: "plum", quantity: 0, price: 2.0 },
  { name: "kiwi", quantity: 7, price: 0.8 },
];
let total = 0;
for (const it of items) {
  if (it.quantity > 0) {
    const v = it.quantity * it.price;
    total += v;
    console.log(`${it.name}: ${v.toFixed(2)}`);
  }
}
console.log(`total: ${total.toFixed(2)}`);
