const xs = [4, 2, 12, 3, 8, 1, 7, 6];
const out = [];
for (let i = 0; i + 3 <= xs.length; i++) out.push(Math.max(...xs.slice(i, i + 3)));
console.log(out.join(" "));
