const data = [1, [2, [3, 4]], 5, [[6]]];
const flat = (x) => x.flatMap((e) => (Array.isArray(e) ? flat(e) : [e]));
const weighted = (x, depth) => x.reduce((a, e) => a + (Array.isArray(e) ? weighted(e, depth + 1) : e * depth), 0);
console.log(`flat: ${flat(data).join(" ")}`);
console.log(`weighted: ${weighted(data, 1)}`);
