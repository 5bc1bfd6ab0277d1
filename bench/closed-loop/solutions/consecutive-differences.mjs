const xs = [10, 13, 19, 20, 28, 35];
const diffs = xs.slice(1).map((x, i) => x - xs[i]);
console.log(diffs.join(" "));
console.log(`largest gap: ${Math.max(...diffs)}`);
