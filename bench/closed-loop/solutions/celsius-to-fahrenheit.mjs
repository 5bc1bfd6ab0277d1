for (const c of [-10, 0, 25, 37, 100]) {
  const f = (c * 9) / 5 + 32;
  console.log(`${c} -> ${f.toFixed(1)}`);
}
