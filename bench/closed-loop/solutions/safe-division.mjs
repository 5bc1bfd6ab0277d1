function safeDiv(a, b) {
  if (b === 0) return { ok: false, error: "division by 0" };
  return { ok: true, value: a / b };
}
for (const [a, b] of [[10, 2], [7, 0], [9, 4], [0, 3], [5, 0]]) {
  const r = safeDiv(a, b);
  console.log(r.ok ? `${a} / ${b} = ${r.value.toFixed(2)}` : `${a} / ${b} = error: ${r.error}`);
}
