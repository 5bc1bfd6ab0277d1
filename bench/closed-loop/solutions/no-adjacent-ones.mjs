function gen(prefix, n) {
  if (prefix.length === n) return [prefix];
  const out = gen(prefix + "0", n);
  if (!prefix.endsWith("1")) out.push(...gen(prefix + "1", n));
  return out;
}
const res = gen("", 4);
console.log(res.join(" "));
console.log(`count: ${res.length}`);
