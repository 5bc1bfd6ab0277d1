const out = [];
for (let k = 1; k <= 8; k++) out.push((k * (k + 1)) / 2);
console.log(out.join(" "));
