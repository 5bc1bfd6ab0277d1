const counts = new Map();
for (const ch of "mississippi") counts.set(ch, (counts.get(ch) ?? 0) + 1);
for (const ch of [...counts.keys()].sort()) console.log(`${ch}: ${counts.get(ch)}`);
