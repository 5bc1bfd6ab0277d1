const xs = [2, 5, 8, 12, 16, 23, 38, 56, 72, 91];
for (const target of [23, 2, 91, 7]) {
  let lo = 0;
  let hi = xs.length - 1;
  let probes = 0;
  let found = -1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    probes++;
    if (xs[mid] === target) {
      found = mid;
      break;
    }
    if (xs[mid] < target) lo = mid + 1;
    else hi = mid - 1;
  }
  console.log(found >= 0 ? `${target}: index ${found} (${probes} probes)` : `${target}: not found (${probes} probes)`);
}
