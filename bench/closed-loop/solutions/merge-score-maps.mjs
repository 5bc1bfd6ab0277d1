const r1 = { amy: 12, raj: 7, zoe: 15 };
const r2 = { raj: 10, zoe: 3, kim: 8 };
const totals = {};
for (const p of new Set([...Object.keys(r1), ...Object.keys(r2)])) totals[p] = (r1[p] ?? 0) + (r2[p] ?? 0);
const players = Object.keys(totals).sort();
for (const p of players) console.log(`${p} ${totals[p]}`);
let best = players[0];
for (const p of players) if (totals[p] > totals[best]) best = p;
console.log(`winner: ${best}`);
