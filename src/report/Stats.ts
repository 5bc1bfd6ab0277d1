/**
 * Statistics for repeated trials: how sure a pass rate is, and how likely k tries are to pass.
 */

/**
 * The Wilson score interval of a binomial proportion (95% for the default z). With no trials the
 * interval is the whole of [0, 1]: nothing is known.
 */
export const wilsonInterval = (successes: number, n: number, z = 1.959964): { low: number; high: number } => {
  if (n <= 0) return { low: 0, high: 1 }
  const p = successes / n
  const z2 = z * z
  const denominator = 1 + z2 / n
  const centre = (p + z2 / (2 * n)) / denominator
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) }
}

/**
 * The unbiased estimator of pass@k (Chen et al., 2021): the chance that at least one of k samples
 * drawn without replacement from n trials, c of them passing, passes. 1 - C(n-c, k) / C(n, k),
 * computed as a product so that large n does not overflow.
 */
export const passAtK = (n: number, c: number, k: number): number => {
  if (k < 1 || k > n) throw new RangeError(`pass@k needs 1 <= k <= n, got k=${k}, n=${n}`)
  if (n - c < k) return 1
  let allFail = 1
  for (let i = n - c + 1; i <= n; i++) allFail *= 1 - k / i
  return 1 - allFail
}
