const text = "name=Widget;color=blue;size=10;weight=2.5";
const pairs = text.split(";").map((p) => {
  const i = p.indexOf("=");
  return [p.slice(0, i), p.slice(i + 1)];
});
pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
for (const [k, v] of pairs) console.log(`${k} = ${v}`);
console.log(`keys: ${pairs.length}`);
