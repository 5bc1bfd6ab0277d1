const text = "item,qty,price\npen,3,1.50\nbook,2,12.25\nbag,1,30.00";
let total = 0;
for (const line of text.split("\n").slice(1)) {
  const [item, qty, price] = line.split(",");
  const amount = Number(qty) * Number(price);
  total += amount;
  console.log(`${item} ${amount.toFixed(2)}`);
}
console.log(`total: ${total.toFixed(2)}`);
