function run(s) {
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(s)) return "error: not a number";
  const x = Number(s);
  if (x <= 0) return "error: must be positive";
  return (10 / Math.sqrt(x)).toFixed(3);
}
for (const s of ["16", "-4", "abc", "2.25", "0"]) console.log(`${s} -> ${run(s)}`);
