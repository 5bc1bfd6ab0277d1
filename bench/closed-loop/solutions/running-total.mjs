let acc = 0;
const out = [];
for (const x of [3, 1, 4, 1, 5, 9, 2, 6]) {
  acc += x;
  out.push(acc);
}
console.log(out.join(" "));
