function firstRepeat(xs) {
  const seen = new Set();
  for (let i = 0; i < xs.length; i++) {
    if (seen.has(xs[i])) return `first repeat: ${xs[i]} at index ${i}`;
    seen.add(xs[i]);
  }
  return "no repeats";
}
console.log(firstRepeat([3, 8, 5, 2, 9, 5, 8, 1]));
console.log(firstRepeat([4, 1, 7, 2]));
