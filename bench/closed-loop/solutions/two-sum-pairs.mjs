const xs = [2, 7, 11, 15, 1, 8];
function find(target) {
  for (let i = 0; i < xs.length; i++)
    for (let j = i + 1; j < xs.length; j++) if (xs[i] + xs[j] === target) return `${i} ${j}`;
  return "no pair";
}
for (const t of [9, 16, 100]) console.log(`${t}: ${find(t)}`);
