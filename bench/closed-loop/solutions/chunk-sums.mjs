const xs = Array.from({ length: 10 }, (_, i) => i + 1);
for (let i = 0; i < xs.length; i += 3) {
  const g = xs.slice(i, i + 3);
  console.log(`${g.join(",")} sum=${g.reduce((a, b) => a + b, 0)}`);
}
