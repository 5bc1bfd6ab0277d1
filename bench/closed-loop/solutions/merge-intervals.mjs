const ivs = [[8, 10], [1, 3], [15, 18], [2, 6], [9, 12], [18, 20]].sort((a, b) => a[0] - b[0]);
const merged = [];
for (const [s, e] of ivs) {
  const last = merged[merged.length - 1];
  if (last && s <= last[1]) last[1] = Math.max(last[1], e);
  else merged.push([s, e]);
}
for (const [s, e] of merged) console.log(`${s}-${e}`);
