const fact = (n) => (n === 0 ? 1 : n * fact(n - 1));
for (const n of [0, 5, 10, 15]) console.log(`${n}! = ${fact(n)}`);
