// Mocked bodies of GET https://api.example.com/orders?page=<n>
const pages = {
  1: '{"orders": [{"id": 1, "amount": 25.5}, {"id": 2, "amount": 14}], "next": 2}',
  2: '{"orders": [{"id": 3, "amount": 40}], "next": 3}',
  3: '{"orders": [{"id": 4, "amount": 9.75}, {"id": 5, "amount": 60}], "next": 0}',
};
let page = 1;
let fetched = 0;
const orders = [];
while (page !== 0) {
  const doc = JSON.parse(pages[page]);
  fetched++;
  orders.push(...doc.orders);
  page = doc.next;
}
let best = orders[0];
for (const o of orders) if (o.amount > best.amount) best = o;
console.log(`pages: ${fetched}`);
console.log(`orders: ${orders.length}`);
console.log(`total: ${orders.reduce((a, o) => a + o.amount, 0).toFixed(2)}`);
console.log(`largest: order ${best.id} (${best.amount.toFixed(2)})`);
