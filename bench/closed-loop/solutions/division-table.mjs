const pairs = [[10, 4], [9, 3], [7, 8], [22, 7], [100, 8], [-15, 4], [0, 5]];
for (const [a, b] of pairs) {
  const q = a / b;
  const s = Number.isInteger(q) ? String(q) : q.toFixed(3);
  console.log(`${a} / ${b} = ${s}`);
}
