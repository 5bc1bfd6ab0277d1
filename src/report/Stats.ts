/** The statistics the reports print. Pure functions; every random draw comes from a seed. */

/**
 * Wilson score interval for a binomial proportion: `successes` out of `n`, at the normal quantile
 * `z` (1.959964 for 95%). Stays inside [0, 1] and is sensible at 0/n and n/n, where the plain
 * normal interval collapses. With n = 0 nothing is known: [0, 1].
 */
export const wilsonInterval = (successes: number, n: number, z = 1.959964): { low: number; high: number } => {
  if (n <= 0) return { low: 0, high: 1 }
  const p = successes / n
  const z2 = z * z
  const denominator = 1 + z2 / n
  const centre = (p + z2 / (2 * n)) / denominator
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator
  // All (or none) working: the bound is exactly 1 (or 0); rounding would leave it a hair short.
  return { low: successes <= 0 ? 0 : Math.max(0, centre - half), high: successes >= n ? 1 : Math.min(1, centre + half) }
}

export interface McNemar {
  /** Pairs that worked in A and not in B. */
  readonly onlyA: number
  /** Pairs that worked in B and not in A. */
  readonly onlyB: number
  /** Two-sided exact p-value (binomial test of onlyA against onlyA + onlyB at 1/2). */
  readonly p: number
}

/** log of n choose k, exact enough for the few hundred pairs a benchmark has. */
const logChoose = (n: number, k: number) => {
  let sum = 0
  for (let i = 1; i <= k; i++) sum += Math.log(n - k + i) - Math.log(i)
  return sum
}

/**
 * McNemar's test on paired outcomes, in its exact form: only the discordant pairs count, and under
 * "no change" each is equally likely to go either way, so the p-value is a two-sided binomial tail.
 * The exact form is used because benchmark sweeps have few discordant pairs, where the chi-square
 * approximation is poor. No discordant pairs: p = 1.
 */
export const mcnemarExact = (pairs: ReadonlyArray<readonly [boolean, boolean]>): McNemar => {
  const onlyA = pairs.filter(([a, b]) => a && !b).length
  const onlyB = pairs.filter(([a, b]) => !a && b).length
  const n = onlyA + onlyB
  if (n === 0) return { onlyA, onlyB, p: 1 }
  const k = Math.min(onlyA, onlyB)
  let tail = 0
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2)
  return { onlyA, onlyB, p: Math.min(1, 2 * tail) }
}

/** A small, fast, seeded generator (mulberry32): the same seed gives the same report. */
export const seededRandom = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const mean = (values: ReadonlyArray<number>): number | undefined =>
  values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length

export const median = (values: ReadonlyArray<number>): number | undefined => {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The q-quantile (0..1) of sorted values, linearly interpolated. */
const quantile = (sorted: ReadonlyArray<number>, q: number) => {
  const at = (sorted.length - 1) * q
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo)
}

export interface Interval {
  readonly estimate: number
  readonly low: number
  readonly high: number
}

/**
 * The change in mean from `a` to `b`, mean(b) - mean(a), over paired units (the tasks both runs
 * measured): each sample draws units with replacement, the same draw for both sides, so what the two sides share (a hard
 * task is dear in both) does not widen the interval. A side's value may be missing in a unit (its
 * run did not work there): each mean is over the values drawn. Samples where a side has none are
 * left out. A percentile interval, seeded so that a report re-rendered from the same files prints
 * the same interval. Undefined when either side has no value at all.
 */
export const bootstrapPairedMeanDifference = (
  pairs: ReadonlyArray<readonly [number | undefined, number | undefined]>,
  options: { readonly samples?: number; readonly level?: number; readonly seed?: number } = {}
): Interval | undefined => {
  const meanA = mean(pairs.flatMap(([a]) => (a === undefined ? [] : [a])))
  const meanB = mean(pairs.flatMap(([, b]) => (b === undefined ? [] : [b])))
  if (meanA === undefined || meanB === undefined) return undefined
  const samples = options.samples ?? 4000
  const level = options.level ?? 0.95
  const random = seededRandom(options.seed ?? 20260803)
  const diffs: Array<number> = []
  for (let s = 0; s < samples; s++) {
    let sumA = 0, nA = 0, sumB = 0, nB = 0
    for (let i = 0; i < pairs.length; i++) {
      const [a, b] = pairs[Math.floor(random() * pairs.length)]!
      if (a !== undefined) (sumA += a), nA++
      if (b !== undefined) (sumB += b), nB++
    }
    if (nA > 0 && nB > 0) diffs.push(sumB / nB - sumA / nA)
  }
  diffs.sort((x, y) => x - y)
  return { estimate: meanB - meanA, low: quantile(diffs, (1 - level) / 2), high: quantile(diffs, 1 - (1 - level) / 2) }
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
