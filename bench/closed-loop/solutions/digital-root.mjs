const root = (n) => (n < 10 ? n : root([...String(n)].reduce((a, ch) => a + Number(ch), 0)));
for (const n of [9875, 12345, 999999, 7]) console.log(`${n} -> ${root(n)}`);
