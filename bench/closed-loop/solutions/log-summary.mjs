const lines = [
  "2024-05-01T10:00:00 INFO start service=api",
  "2024-05-01T10:00:05 WARN slow service=db ms=850",
  "2024-05-01T10:01:10 ERROR timeout service=api ms=3000",
  "2024-05-01T10:02:00 INFO ok service=db ms=120",
  "2024-05-01T10:03:30 ERROR refused service=cache",
];
const counts = new Map();
let slowest = null;
const errors = [];
for (const line of lines) {
  const parts = line.split(" ");
  const level = parts[1];
  const fields = Object.fromEntries(parts.slice(3).map((p) => p.split("=")));
  counts.set(level, (counts.get(level) ?? 0) + 1);
  if ("ms" in fields) {
    const ms = Number(fields.ms);
    if (slowest === null || ms > slowest[1]) slowest = [fields.service, ms];
  }
  if (level === "ERROR") errors.push(fields.service);
}
for (const level of [...counts.keys()].sort()) console.log(`${level} ${counts.get(level)}`);
console.log(`slowest: ${slowest[0]} ${slowest[1]}ms`);
console.log(`errors: ${errors.join(",")}`);
