const words = ["listen", "silent", "enlist", "google", "gooegl", "cat", "act", "tac", "dog"];
const groups = new Map();
for (const w of words) {
  const key = [...w].sort().join("");
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(w);
}
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const gs = [...groups.values()].map((g) => [...g].sort(cmp));
gs.sort((a, b) => b.length - a.length || cmp(a[0], b[0]));
for (const g of gs) console.log(g.join(" "));
