import { seededRandom } from "./Stats.js"

/**
 * Spend to a working program, as a time-to-event: a run's "time" is what it had spent (total
 * tokens, output tokens or cost) when its first working program arrived; a run that never worked is
 * censored at what it spent in all. The loop stops at the first working program, so a working run's
 * totals are its spend to working. Runs that ended in "error" (the model gave no reply) say nothing
 * about the language: they are left out of the curve and counted apart.
 *
 * Kaplan-Meier, its quantiles and the bootstrap are written here: no maintained npm package does
 * Kaplan-Meier with a bootstrap by cluster (task), and the estimator itself is a dozen lines.
 */

/** One run as the estimator sees it: spent `t`, and whether it got a working program then. */
export interface Observation {
  readonly t: number
  readonly event: boolean
}

/** A step of the curve: from `t` on, the estimated share of runs not yet working is `s`. */
export interface Step {
  readonly t: number
  readonly s: number
}

/**
 * The Kaplan-Meier estimate: at each distinct spend t where some run got working, the share not yet
 * working is multiplied by (1 - d / n), d the runs that got working at t and n those still at risk
 * (spent at least t). A run censored at the same t as an event is still at risk then (the usual
 * convention). Returns the steps at event times, in order.
 */
export const kaplanMeier = (observations: ReadonlyArray<Observation>): ReadonlyArray<Step> => {
  const sorted = [...observations].sort((a, b) => a.t - b.t || Number(b.event) - Number(a.event))
  return stepsOf({ t: Float64Array.from(sorted, (o) => o.t), event: Uint8Array.from(sorted, (o) => (o.event ? 1 : 0)) })
}

/** S(t) <= level, allowing for the rounding of a product of fractions (2/3 x 3/4 is not exactly 0.5). */
const reaches = (s: number, level: number) => s <= level + 1e-9

/**
 * The smallest observed spend t with S(t) <= level: the median at 0.5, the 25th percentile at 0.75,
 * the 75th at 0.25. Undefined where the curve never falls that far ("not reached").
 */
export const survivalQuantile = (steps: ReadonlyArray<Step>, level: number): number | undefined =>
  steps.find((step) => reaches(step.s, level))?.t

export const LEVELS = { p25: 0.75, median: 0.5, p75: 0.25 } as const

/** The q-quantile (0..1) of sorted values, linearly interpolated; +Infinity stands for "not reached". */
const percentile = (sorted: ArrayLike<number>, q: number) => {
  const at = (sorted.length - 1) * q
  const lo = sorted[Math.floor(at)]!
  const hi = sorted[Math.ceil(at)]!
  if (!Number.isFinite(hi)) return hi
  return lo + (hi - lo) * (at - Math.floor(at))
}

/** FNV-1a: a seed of its own for each group, so adding a language does not move another's interval. */
const seedOf = (label: string) => {
  let h = 0x811c9dc5
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193)
  return h >>> 0
}

export const BOOTSTRAP = { resamples: 2000, level: 0.95, seed: 20261206 } as const

/**
 * A percentile interval from bootstrap values, where +Infinity is "not reached" and NaN "cannot
 * say". Undefined when a bound is not reached, or when more than the interval's tail could not say
 * (dropping them would narrow it).
 */
export const percentileInterval = (values: ReadonlyArray<number>, level = BOOTSTRAP.level): readonly [number, number] | undefined => {
  const tail = (1 - level) / 2
  // A typed array sorts numbers as numbers, without a comparator called per comparison (the same order here: no -0 arises).
  const known = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort()
  if (known.length === 0 || values.length - known.length > tail * values.length) return undefined
  const lo = percentile(known, tail)
  const hi = percentile(known, 1 - tail)
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : undefined
}

/**
 * The runs of some tasks, sorted once by spend under one metric, so that a bootstrap resample is a
 * weight per task (how many times it was drawn) and a walk along the array: no sort per resample.
 */
interface Sorted {
  readonly t: Float64Array
  readonly event: Uint8Array
  readonly task: Int32Array
}


/**
 * survivalQuantile of the Kaplan-Meier curve of the runs, each counted as many times as its task's
 * weight. The same walk as stepsOf's, kept apart on purpose: one function serving both (the curve's
 * steps collected, or a weight of 1 per run) is optimized by V8 for the bootstrap's thousands of
 * calls, then deoptimized by the curve's call, and the bootstrap runs unoptimized again meanwhile.
 */
const weightedQuantile = (runs: Sorted, weights: Int32Array, level: number): number | undefined => {
  let atRisk = 0
  for (let i = 0; i < runs.task.length; i++) atRisk += weights[runs.task[i]!]!
  let s = 1
  let i = 0
  while (i < runs.t.length) {
    const t = runs.t[i]!
    let events = 0
    let leaving = 0
    for (; i < runs.t.length && runs.t[i] === t; i++) {
      const w = weights[runs.task[i]!]!
      if (runs.event[i] === 1) events += w
      leaving += w
    }
    if (events > 0) {
      s *= 1 - events / atRisk
      if (reaches(s, level)) return t
    }
    atRisk -= leaving
  }
  return undefined
}

/** Draws as many tasks as there are, with replacement: how many times each was drawn. The unit is the task, since a task's runs (trials, languages) are not independent. */
const drawTasks = (weights: Int32Array, random: () => number) => {
  weights.fill(0)
  for (let i = 0; i < weights.length; i++) weights[Math.floor(random() * weights.length)]!++
  return weights
}

/**
 * `resamples` draws of the tasks (seeded by `key`, so a report re-rendered gives the same
 * intervals), and for each metric the statistic of every draw where it has one.
 */
const bootstrapByTask = (
  taskCount: number,
  key: string,
  resamples: number,
  statistic: (metric: Metric, weights: Int32Array) => number | undefined
): Record<Metric, Array<number>> => {
  const random = seededRandom(BOOTSTRAP.seed ^ seedOf(key))
  const draws: Record<Metric, Array<number>> = { total_tokens: [], output_tokens: [], cost_usd: [] }
  const weights = new Int32Array(taskCount)
  for (let b = 0; b < resamples && taskCount > 0; b++) {
    drawTasks(weights, random)
    for (const m of METRICS) {
      const value = statistic(m, weights)
      if (value !== undefined) draws[m].push(value)
    }
  }
  return draws
}

// ---------------------------------------------------------------------------------------------
// The benchmark's runs

/** What the analysis reads of a run: any result row of any format has these. */
export interface SurvivalRow {
  readonly task: string
  readonly language: string
  readonly model: string
  readonly final_outcome: string
  readonly input_tokens: number
  readonly generation_tokens: number
  readonly cost_usd?: number | null | undefined
}

export const METRICS = ["total_tokens", "output_tokens", "cost_usd"] as const
export type Metric = (typeof METRICS)[number]

/** A run's spend under each metric; cost is undefined where the run has no price. */
const spend = (r: SurvivalRow, metric: Metric): number | undefined =>
  metric === "total_tokens"
    ? r.input_tokens + r.generation_tokens
    : metric === "output_tokens"
      ? r.generation_tokens
      : typeof r.cost_usd === "number"
        ? r.cost_usd
        : undefined

/** The observations of some runs under a metric; undefined when a run lacks it (a quantile over the priced runs alone would pass for the whole). */
const observe = (runs: ReadonlyArray<SurvivalRow>, metric: Metric): ReadonlyArray<Observation> | undefined => {
  const out: Array<Observation> = []
  for (const r of runs) {
    const t = spend(r, metric)
    if (t === undefined) return undefined
    out.push({ t, event: r.final_outcome === "working" })
  }
  return out
}

const quantileOf = (runs: ReadonlyArray<SurvivalRow>, metric: Metric, level: number) => {
  const obs = observe(runs, metric)
  return obs === undefined || obs.length === 0 ? undefined : survivalQuantile(kaplanMeier(obs), level)
}

export interface Quantiles {
  readonly median: number | null
  readonly p25: number | null
  readonly p75: number | null
  /** The median's 95% bootstrap interval (by task); null where a bound is not reached. */
  readonly ci95: readonly [number, number] | null
}

export interface SurvivalEntry {
  readonly language: string
  readonly model: string
  /** Runs that reached the model (not "error"): the curve's runs. */
  readonly runs: number
  readonly working: number
  /** Runs that never got a working program: censored at what they spent. */
  readonly censored: number
  /** Runs that ended in "error", left out. */
  readonly errors: number
  readonly total_tokens: Quantiles
  readonly output_tokens: Quantiles
  readonly cost_usd: Quantiles
  /** For charts: [spend, share not yet working] at 0, at each event, and at the largest spend seen. */
  readonly curve: { readonly [M in Metric]: ReadonlyArray<readonly [number, number]> }
}

export interface Ratio {
  /** The language's median spend to working over the baseline's; null where either is not reached. */
  readonly ratio: number | null
  /** Paired bootstrap over tasks; null where a bound cannot be placed. */
  readonly ci95: readonly [number, number] | null
}

export interface VersusEntry {
  readonly language: string
  readonly model: string
  readonly baseline: string
  /** Tasks measured (a run not "error") in both languages for this model: what the ratio is over. */
  readonly tasks: number
  readonly total_tokens: Ratio
  readonly output_tokens: Ratio
  readonly cost_usd: Ratio
}

export interface SurvivalAnalysis {
  readonly baseline: string
  readonly bootstrap: { readonly resamples: number; readonly level: number; readonly seed: number; readonly unit: "task" }
  readonly survival: ReadonlyArray<SurvivalEntry>
  readonly versus: ReadonlyArray<VersusEntry>
}

const orNull = (x: number | undefined) => (x === undefined ? null : x)

/** Rounded for the report: costs to a millionth of a cent, ratios to 4 places. */
const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places
const placesOf = (metric: Metric) => (metric === "cost_usd" ? 8 : 0)
const roundPair = (p: readonly [number, number] | undefined, places: number) =>
  p === undefined ? null : ([round(p[0], places), round(p[1], places)] as const)

const byTask = (runs: ReadonlyArray<SurvivalRow>) => {
  const map = new Map<string, Array<SurvivalRow>>()
  for (const r of runs) {
    const list = map.get(r.task)
    if (list === undefined) map.set(r.task, [r])
    else list.push(r)
  }
  return map
}

/** kaplanMeier's steps, of runs already sorted as it sorts them (by spend, events first among equal spends). */
const stepsOf = (runs: Pick<Sorted, "t" | "event">): ReadonlyArray<Step> => {
  const steps: Array<Step> = []
  let atRisk = runs.t.length
  let s = 1
  let i = 0
  while (i < runs.t.length) {
    const t = runs.t[i]!
    let events = 0
    let leaving = 0
    for (; i < runs.t.length && runs.t[i] === t; i++) {
      if (runs.event[i] === 1) events++
      leaving++
    }
    if (events > 0) {
      s *= 1 - events / atRisk
      steps.push({ t, s })
    }
    atRisk -= leaving
  }
  return steps
}

/** No steps where a run lacks the metric (observe's undefined). */
const stepsOf0 = (runs: Sorted | undefined): ReadonlyArray<Step> => (runs === undefined ? [] : stepsOf(runs))

const curveOf = (runs: Sorted | undefined, steps: ReadonlyArray<Step>, metric: Metric): ReadonlyArray<readonly [number, number]> => {
  if (runs === undefined || runs.t.length === 0) return []
  const places = placesOf(metric)
  const points: Array<readonly [number, number]> = [[0, 1], ...steps.map((s) => [round(s.t, places), round(s.s, 6)] as const)]
  // Sorted by spend: the last is the largest.
  const last = runs.t[runs.t.length - 1]!
  if (last > (steps.at(-1)?.t ?? 0)) points.push([round(last, places), round(steps.at(-1)?.s ?? 1, 6)])
  return points
}

const notReached = (x: number | undefined) => (x === undefined ? Infinity : x)

/** Each metric's runs sorted for the bootstrap, runs numbered by their task's index; undefined where a run lacks the metric. */
const prepare = (runs: ReadonlyArray<SurvivalRow>, taskIndex: ReadonlyMap<string, number>) =>
  Object.fromEntries(METRICS.map((m) => [m, sortObservations(runs, m, taskIndex)])) as Record<Metric, Sorted | undefined>

/**
 * The runs' observations under a metric, sorted by spend (events first among equal spends, as
 * kaplanMeier sorts them); undefined when a run lacks the metric. Straight into typed arrays, in
 * the order of an index sorted once: an object per run and metric (and the copies a sort of them
 * makes) were about 80 MB of short-lived heap for 100,000 runs, a spike in the reports' memory.
 */
const sortObservations = (runs: ReadonlyArray<SurvivalRow>, metric: Metric, taskIndex: ReadonlyMap<string, number>): Sorted | undefined => {
  const n = runs.length
  const t = new Float64Array(n)
  const event = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const spent = spend(runs[i]!, metric)
    if (spent === undefined) return undefined
    t[i] = spent
    event[i] = runs[i]!.final_outcome === "working" ? 1 : 0
  }
  // Runs of the same spend and outcome may come in any order: every use sums over them together.
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  order.sort((a, b) => t[a]! - t[b]! || event[b]! - event[a]!)
  const sorted = { t: new Float64Array(n), event: new Uint8Array(n), task: new Int32Array(n) }
  for (let i = 0; i < n; i++) {
    const from = order[i]!
    sorted.t[i] = t[from]!
    sorted.event[i] = event[from]!
    sorted.task[i] = taskIndex.get(runs[from]!.task)!
  }
  return sorted
}

export const survivalEntry = (
  all: ReadonlyArray<SurvivalRow>,
  language: string,
  model: string,
  resamples: number = BOOTSTRAP.resamples
): SurvivalEntry => {
  const group = all.filter((r) => r.language === language && r.model === model)
  const runs = group.filter((r) => r.final_outcome !== "error")
  const working = runs.filter((r) => r.final_outcome === "working").length
  const tasks = new Map([...byTask(runs).keys()].map((task, i) => [task, i]))
  const sorted = prepare(runs, tasks)
  const draws = bootstrapByTask(tasks.size, `${language}\u0000${model}`, resamples, (m, weights) => {
    const runsOf = sorted[m]
    return runsOf === undefined ? undefined : notReached(weightedQuantile(runsOf, weights, LEVELS.median))
  })
  const steps = { total_tokens: stepsOf0(sorted.total_tokens), output_tokens: stepsOf0(sorted.output_tokens), cost_usd: stepsOf0(sorted.cost_usd) }
  const quantiles = (metric: Metric): Quantiles => {
    const places = placesOf(metric)
    const q = (level: number) => {
      const v = survivalQuantile(steps[metric], level)
      return v === undefined ? null : round(v, places)
    }
    const priced = sorted[metric] !== undefined
    return {
      median: q(LEVELS.median),
      p25: q(LEVELS.p25),
      p75: q(LEVELS.p75),
      ci95: priced && runs.length > 0 ? roundPair(percentileInterval(draws[metric]), places) : null
    }
  }
  return {
    language,
    model,
    runs: runs.length,
    working,
    censored: runs.length - working,
    errors: group.length - runs.length,
    total_tokens: quantiles("total_tokens"),
    output_tokens: quantiles("output_tokens"),
    cost_usd: quantiles("cost_usd"),
    curve: {
      total_tokens: curveOf(sorted.total_tokens, steps.total_tokens, "total_tokens"),
      output_tokens: curveOf(sorted.output_tokens, steps.output_tokens, "output_tokens"),
      cost_usd: curveOf(sorted.cost_usd, steps.cost_usd, "cost_usd")
    }
  }
}

/**
 * A ratio of medians where "not reached" is known to be beyond every spend seen: the language not
 * reaching its median against a baseline that does is +Infinity, the other way round 0, neither NaN.
 */
const ratioOf = (language: number | undefined, baseline: number | undefined) =>
  language === undefined && baseline === undefined
    ? NaN
    : language === undefined
      ? Infinity
      : baseline === undefined
        ? 0
        : baseline === 0
          ? NaN
          : language / baseline

export const versusEntry = (
  all: ReadonlyArray<SurvivalRow>,
  language: string,
  model: string,
  baseline: string,
  resamples: number = BOOTSTRAP.resamples
): VersusEntry => {
  const measured = (l: string) => byTask(all.filter((r) => r.language === l && r.model === model && r.final_outcome !== "error"))
  const own = measured(language)
  const base = measured(baseline)
  // Only tasks both measured: a partial leg must not compare other tasks.
  const tasks = [...own.keys()].filter((t) => base.has(t)).map((t) => ({ own: own.get(t)!, base: base.get(t)! }))
  const ownAll = tasks.flatMap((s) => s.own)
  const baseAll = tasks.flatMap((s) => s.base)
  const taskIndex = new Map(tasks.map((s, i) => [s.own[0]!.task, i]))
  const ownSorted = prepare(ownAll, taskIndex)
  const baseSorted = prepare(baseAll, taskIndex)
  // One draw of tasks for both languages: the pairing is what narrows the interval.
  const draws = bootstrapByTask(tasks.length, `${language}\u0000${model}\u0000${baseline}`, resamples, (m, weights) => {
    const o = ownSorted[m]
    const bs = baseSorted[m]
    return o === undefined || bs === undefined ? undefined : ratioOf(weightedQuantile(o, weights, LEVELS.median), weightedQuantile(bs, weights, LEVELS.median))
  })
  const ratio = (metric: Metric): Ratio => {
    const o = survivalQuantile(stepsOf0(ownSorted[metric]), LEVELS.median)
    const b = survivalQuantile(stepsOf0(baseSorted[metric]), LEVELS.median)
    const point = o !== undefined && b !== undefined && b > 0 ? o / b : undefined
    const priced = ownSorted[metric] !== undefined && baseSorted[metric] !== undefined
    return {
      ratio: orNull(point === undefined ? undefined : round(point, 4)),
      ci95: priced && tasks.length > 0 ? roundPair(percentileInterval(draws[metric]), 4) : null
    }
  }
  return {
    language,
    model,
    baseline,
    tasks: tasks.length,
    total_tokens: ratio("total_tokens"),
    output_tokens: ratio("output_tokens"),
    cost_usd: ratio("cost_usd")
  }
}

const distinctOf = (values: ReadonlyArray<string>) => [...new Set(values)]

/**
 * Every language x model's survival, and every language against the baseline per model. Languages
 * come in the order given (the report's), else first seen; a baseline that did not run gives no
 * versus entries.
 */
export const survivalAnalysis = (
  rows: ReadonlyArray<SurvivalRow>,
  options: { readonly baseline?: string | undefined; readonly languages?: ReadonlyArray<string>; readonly models?: ReadonlyArray<string>; readonly resamples?: number } = {}
): SurvivalAnalysis => {
  const baseline = options.baseline ?? "ilo"
  const resamples = options.resamples ?? BOOTSTRAP.resamples
  const languages = options.languages ?? distinctOf(rows.map((r) => r.language))
  const models = options.models ?? distinctOf(rows.map((r) => r.model))
  const ran = (language: string, model: string) => rows.some((r) => r.language === language && r.model === model)
  const survival = languages.flatMap((language) =>
    models.flatMap((model) => (ran(language, model) ? [survivalEntry(rows, language, model, resamples)] : []))
  )
  const versus = models.flatMap((model) =>
    ran(baseline, model)
      ? languages
          .filter((language) => language !== baseline && ran(language, model))
          .map((language) => versusEntry(rows, language, model, baseline, resamples))
      : []
  )
  return { baseline, bootstrap: { resamples, level: BOOTSTRAP.level, seed: BOOTSTRAP.seed, unit: "task" }, survival, versus }
}

export interface RatioChange {
  readonly a: number | null
  readonly b: number | null
  /** B's ratio minus A's; null where either is. */
  readonly change: number | null
  /** Bootstrap over the tasks both runs measured for both languages, one draw for both runs. */
  readonly ci95: readonly [number, number] | null
}

export interface VersusChange {
  readonly language: string
  readonly model: string
  readonly baseline: string
  readonly tasks: number
  readonly total_tokens: RatioChange
  readonly output_tokens: RatioChange
  readonly cost_usd: RatioChange
}

/**
 * How a language's ratio to the baseline moved from run A to run B (compare): the ratio on each
 * side over the tasks measured in both languages in both runs, and the change with a bootstrap
 * interval that draws the same tasks for A and B, since a task is the same task in both.
 */
export const versusChange = (
  rowsA: ReadonlyArray<SurvivalRow>,
  rowsB: ReadonlyArray<SurvivalRow>,
  language: string,
  model: string,
  baseline: string,
  resamples: number = BOOTSTRAP.resamples
): VersusChange => {
  const measured = (rows: ReadonlyArray<SurvivalRow>, l: string) =>
    byTask(rows.filter((r) => r.language === l && r.model === model && r.final_outcome !== "error"))
  const sides = [rowsA, rowsB].map((rows) => ({ own: measured(rows, language), base: measured(rows, baseline) }))
  const tasks = [...sides[0]!.own.keys()].filter((t) => sides.every((s) => s.own.has(t) && s.base.has(t)))
  const taskIndex = new Map(tasks.map((t, i) => [t, i]))
  const prepared = sides.map((s) => {
    const own = tasks.flatMap((t) => s.own.get(t)!)
    const base = tasks.flatMap((t) => s.base.get(t)!)
    return { own, base, ownSorted: prepare(own, taskIndex), baseSorted: prepare(base, taskIndex) }
  })
  const random = seededRandom(BOOTSTRAP.seed ^ seedOf(`change\u0000${language}\u0000${model}\u0000${baseline}`))
  const draws: Record<Metric, Array<number>> = { total_tokens: [], output_tokens: [], cost_usd: [] }
  const weights = new Int32Array(tasks.length)
  for (let b = 0; b < resamples && tasks.length > 0; b++) {
    drawTasks(weights, random)
    for (const m of METRICS) {
      const ratios = prepared.map((p) => {
        const o = p.ownSorted[m]
        const bs = p.baseSorted[m]
        return o === undefined || bs === undefined ? NaN : ratioOf(weightedQuantile(o, weights, LEVELS.median), weightedQuantile(bs, weights, LEVELS.median))
      })
      draws[m].push(ratios[1]! - ratios[0]!)
    }
  }
  const change = (metric: Metric): RatioChange => {
    const [a, b] = prepared.map((p) => {
      const o = quantileOf(p.own, metric, LEVELS.median)
      const bs = quantileOf(p.base, metric, LEVELS.median)
      return o !== undefined && bs !== undefined && bs > 0 ? o / bs : undefined
    })
    return {
      a: orNull(a === undefined ? undefined : round(a, 4)),
      b: orNull(b === undefined ? undefined : round(b, 4)),
      change: a !== undefined && b !== undefined ? round(b - a, 4) : null,
      ci95: a !== undefined && b !== undefined ? roundPair(percentileInterval(draws[metric]), 4) : null
    }
  }
  return {
    language,
    model,
    baseline,
    tasks: tasks.length,
    total_tokens: change("total_tokens"),
    output_tokens: change("output_tokens"),
    cost_usd: change("cost_usd")
  }
}
