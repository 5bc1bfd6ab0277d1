import { describe, expect, it } from "vitest"
import { kaplanMeier, survivalAnalysis, survivalQuantile, versusChange, type SurvivalRow } from "../src/report/Survival.js"
import { verdictLines } from "../src/report/Verdict.js"

/** A run: spent `total` tokens in all (of which `gen` generated) and `cost` dollars. */
const run = (task: string, language: string, outcome: string, total: number, gen: number, cost: number | null = total / 10_000): SurvivalRow => ({
  task,
  language,
  model: "haiku",
  final_outcome: outcome,
  input_tokens: total - gen,
  generation_tokens: gen,
  cost_usd: cost
})

/*
 * Worked by hand.
 * ilo: a 100 working, b 200 working, c 150 failed, d 300 working, e 400 partial, f error.
 *   t=100: 5 at risk, 1 works: S = 4/5 = 0.8. c leaves censored at 150.
 *   t=200: 3 at risk: S = 0.8 x 2/3 = 0.533. t=300: 2 at risk: S = 0.533 x 1/2 = 0.267. e censored at 400.
 *   p25 (S <= 0.75) = 200 (S is 0.8 at 100), median (S <= 0.5) = 300, p75 (S <= 0.25) not reached.
 * python: a 50, b 60, c 90, e 120 working, d 500 failed.
 *   S: 0.8 at 50, 0.6 at 60, 0.4 at 90, 0.2 at 120: p25 = 60, median = 90, p75 = 120.
 * python / ilo median total tokens: 90 / 300 = 0.3; output tokens 18 / 60 = 0.3; cost likewise.
 */
const ilo = [
  run("a", "ilo", "working", 100, 20),
  run("b", "ilo", "working", 200, 40),
  run("c", "ilo", "failed", 150, 30),
  run("d", "ilo", "working", 300, 60),
  run("e", "ilo", "partial", 400, 80),
  run("f", "ilo", "error", 0, 0)
]
const python = [
  run("a", "python", "working", 50, 10),
  run("b", "python", "working", 60, 12),
  run("c", "python", "working", 90, 18),
  run("d", "python", "failed", 500, 100),
  run("e", "python", "working", 120, 24)
]

describe("Kaplan-Meier", () => {
  it("multiplies by (1 - d/n) at each spend where runs got working, censored runs leaving the risk set", () => {
    const steps = kaplanMeier([
      { t: 100, event: true },
      { t: 200, event: true },
      { t: 150, event: false },
      { t: 300, event: true },
      { t: 400, event: false }
    ])
    expect(steps.map((s) => s.t)).toEqual([100, 200, 300])
    expect(steps[0]!.s).toBeCloseTo(0.8, 12)
    expect(steps[1]!.s).toBeCloseTo(8 / 15, 12)
    expect(steps[2]!.s).toBeCloseTo(4 / 15, 12)
    expect(survivalQuantile(steps, 0.75)).toBe(200)
    expect(survivalQuantile(steps, 0.5)).toBe(300)
    expect(survivalQuantile(steps, 0.25)).toBeUndefined()
  })

  it("counts a run censored at the same spend as an event still at risk then; ties fall together", () => {
    // 4 at risk at 10, 2 get working: S = 1/2 (had the censored run left first: 1 - 2/3).
    const steps = kaplanMeier([
      { t: 10, event: true },
      { t: 10, event: false },
      { t: 10, event: true },
      { t: 20, event: true }
    ])
    expect(steps).toEqual([
      { t: 10, s: 0.5 },
      { t: 20, s: 0 }
    ])
    expect(survivalQuantile(steps, 0.5)).toBe(10)
  })

  it("with every run working it is the empirical distribution: the median of 1, 2, 3, 4 is 2 (smallest t with S <= 0.5)", () => {
    const steps = kaplanMeier([1, 2, 3, 4].map((t) => ({ t, event: true })))
    expect(survivalQuantile(steps, 0.5)).toBe(2)
    // 2/3 x 3/4 is not exactly 0.5 in floating point: still reached.
    const odd = kaplanMeier([1, 2, 3, 4, 5, 6].map((t) => ({ t, event: true })))
    expect(survivalQuantile(odd, 0.5)).toBe(3)
  })
})

describe("survival analysis of a benchmark's results", () => {
  const analysis = survivalAnalysis([...ilo, ...python], { resamples: 400 })

  it("reports each language's median and quartiles of spend to working, error runs left out and counted", () => {
    const i = analysis.survival.find((s) => s.language === "ilo")!
    expect(i).toMatchObject({ language: "ilo", model: "haiku", runs: 5, working: 3, censored: 2, errors: 1 })
    expect(i.total_tokens).toMatchObject({ median: 300, p25: 200, p75: null })
    expect(i.output_tokens).toMatchObject({ median: 60, p25: 40, p75: null })
    expect(i.cost_usd).toMatchObject({ median: 0.03, p25: 0.02, p75: null })
    const p = analysis.survival.find((s) => s.language === "python")!
    expect(p).toMatchObject({ runs: 5, working: 4, censored: 1, errors: 0 })
    expect(p.total_tokens).toMatchObject({ median: 90, p25: 60, p75: 120 })
    // The curve for charts: from (0, 1), a step at each spend where a run got working, to the largest spend.
    expect(p.curve.total_tokens).toEqual([[0, 1], [50, 0.8], [60, 0.6], [90, 0.4], [120, 0.2], [500, 0.2]])
  })

  it("gives the ratio of medians against the baseline, per model, with a bootstrap interval around it", () => {
    expect(analysis.versus).toHaveLength(1)
    const v = analysis.versus[0]!
    expect(v).toMatchObject({ language: "python", model: "haiku", baseline: "ilo", tasks: 5 })
    expect(v.total_tokens.ratio).toBeCloseTo(0.3, 10)
    expect(v.output_tokens.ratio).toBeCloseTo(0.3, 10)
    expect(v.cost_usd.ratio).toBeCloseTo(0.3, 10)
    // Seeded: the same results give the same intervals; where given, an interval contains the estimate.
    const again = survivalAnalysis([...ilo, ...python], { resamples: 400 })
    expect(again.versus).toEqual(analysis.versus)
    expect(again.survival).toEqual(analysis.survival)
    const ci = v.total_tokens.ci95
    if (ci !== null) {
      expect(ci[0]).toBeLessThanOrEqual(0.3)
      expect(ci[1]).toBeGreaterThanOrEqual(0.3)
    }
  })

  it("pairs the bootstrap by task: a language that spends exactly half on every task gets [0.5, 0.5]", () => {
    const tasks = ["a", "b", "c", "d", "e", "f", "g", "h"]
    const rows = tasks.flatMap((t, i) => [
      run(t, "ilo", "working", 100 * (i + 1) ** 2, 10 * (i + 1)),
      run(t, "python", "working", 50 * (i + 1) ** 2, 5 * (i + 1))
    ])
    const v = survivalAnalysis(rows, { resamples: 300 }).versus[0]!
    expect(v.total_tokens).toEqual({ ratio: 0.5, ci95: [0.5, 0.5] })
    expect(v.output_tokens).toEqual({ ratio: 0.5, ci95: [0.5, 0.5] })
  })

  it("--baseline picks the language others are divided by", () => {
    const v = survivalAnalysis([...ilo, ...python], { baseline: "python", resamples: 100 }).versus
    expect(v.map((x) => [x.language, x.baseline])).toEqual([["ilo", "python"]])
    expect(v[0]!.total_tokens.ratio).toBeCloseTo(300 / 90, 4)
  })

  it("a language that mostly hits the cap gets 'not reached' (null), never the flattering mean of the runs that worked", () => {
    // bash worked once, cheaply; four runs spent 5,000 and never worked. Its mean over working runs would be 1,000.
    const bash = [run("a", "bash", "working", 1000, 100), ...["b", "c", "d", "e"].map((t) => run(t, "bash", "failed", 5000, 500))]
    const a = survivalAnalysis([...ilo, ...bash], { resamples: 200 })
    const b = a.survival.find((s) => s.language === "bash")!
    // S = 4/5 after the one that worked: not even the 25th percentile (S <= 0.75) is reached.
    expect(b.total_tokens).toEqual({ median: null, p25: null, p75: null, ci95: null })
    const v = a.versus.find((x) => x.language === "bash")!
    expect(v.total_tokens.ratio).toBeNull()
  })

  it("an unpriced run makes the cost figures null rather than a median of the priced ones", () => {
    const rows = [...ilo, ...python.map((r, i) => (i === 0 ? { ...r, cost_usd: null } : r))]
    const a = survivalAnalysis(rows, { resamples: 50 })
    expect(a.survival.find((s) => s.language === "python")!.cost_usd).toEqual({ median: null, p25: null, p75: null, ci95: null })
    expect(a.versus[0]!.cost_usd).toEqual({ ratio: null, ci95: null })
    expect(a.versus[0]!.total_tokens.ratio).toBeCloseTo(0.3, 10)
  })
})

describe("how a ratio moved between two runs (compare)", () => {
  it("gives each run's ratio over the tasks both measured and the change B - A", () => {
    // B: python spends twice what it did in A on every task (median 180), ilo the same: 0.3 -> 0.6.
    const doubled = python.map((r) => ({ ...r, input_tokens: 2 * r.input_tokens, generation_tokens: 2 * r.generation_tokens }))
    const c = versusChange([...ilo, ...python], [...ilo, ...doubled], "python", "haiku", "ilo", 300)
    expect(c.tasks).toBe(5)
    expect(c.total_tokens.a).toBeCloseTo(0.3, 10)
    expect(c.total_tokens.b).toBeCloseTo(0.6, 10)
    expect(c.total_tokens.change).toBeCloseTo(0.3, 10)
    expect(versusChange([...ilo, ...python], [...ilo, ...doubled], "python", "haiku", "ilo", 300)).toEqual(c)
    // The same results on both sides (every run working, so every resample has both medians): no change, and an interval of exactly none.
    const same = ["a", "b", "c", "d"].flatMap((t, i) => [run(t, "ilo", "working", 100 * (i + 1), 10), run(t, "python", "working", 30 + 70 * i, 10)])
    expect(versusChange(same, same, "python", "haiku", "ilo", 300).total_tokens).toMatchObject({ change: 0, ci95: [0, 0] })
  })
})

describe("the verdict's words", () => {
  it("says which language did not reach its median instead of printing a ratio", () => {
    const bash = [run("a", "bash", "working", 1000, 100), ...["b", "c", "d", "e"].map((t) => run(t, "bash", "failed", 5000, 500))]
    const a = survivalAnalysis([...ilo, ...python, ...bash], { resamples: 100 })
    const lines = verdictLines(a)
    expect(lines[0]).toMatch(/^haiku: python needs 0\.30x ilo's tokens to a working program \(95% CI (not reached|\d\.\d\d-\d\.\d\d)\), 0\.30x its cost$/)
    expect(lines[1]).toBe("haiku: bash got fewer than half its runs working: median tokens to a working program bash not reached, ilo 300 tokens; no ratio")
    // Python reaches its median over all its tasks, but not on the two tasks ilo measured (the rest of ilo's runs ended in error):
    // the sentence says so, instead of naming no language as the one short of half.
    const partial = [
      ...["a", "b"].map((t) => run(t, "ilo", "working", 300, 30)),
      ...["c", "d", "e"].map((t) => run(t, "ilo", "error", 0, 0)),
      ...["a", "b"].map((t) => run(t, "python", "failed", 900, 90)),
      ...["c", "d", "e"].map((t) => run(t, "python", "working", 100, 10))
    ]
    expect(verdictLines(survivalAnalysis(partial, { resamples: 50 }))[0]).toBe(
      "haiku: on the 2 task(s) both measured, python and ilo do not both get half their runs working: no ratio (median tokens to a working program over all their runs: python 100 tokens, ilo 300 tokens)"
    )
    // A ratio far below 1 keeps two significant digits: 0.004x read as "0.00x" would say the language spent nothing.
    const tiny = ["a", "b", "c", "d", "e"].flatMap((t, i) => [run(t, "ilo", "working", 10_000 * (i + 1), 0), run(t, "python", "working", 40 * (i + 1), 0)])
    expect(verdictLines(survivalAnalysis(tiny, { resamples: 100 }))[0]).toMatch(/^haiku: python needs 0\.0040x ilo's tokens to a working program \(95% CI 0\.0040-0\.0040\)/)
    // Without the baseline, each language's own median.
    expect(verdictLines(survivalAnalysis(python, { resamples: 50 }))[0]).toMatch(/^haiku: python needs a median 90 tokens to a working program \(95% CI .*\), \$0\.0090$/)
  })
})

describe("the analysis of many runs, from typed arrays", () => {
  it("gives the quantiles, curves and ratios that Kaplan-Meier over the runs' own observations gives, ties and unpriced runs included", () => {
    // A seeded mix: spends drawn from few values (many ties between working and failed runs), some errors, three languages.
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const outcomes = ["working", "working", "failed", "partial", "error"]
    const rows: Array<SurvivalRow> = []
    for (let i = 0; i < 600; i++)
      for (const language of ["ilo", "python", "bash"]) {
        const total = 100 * (1 + Math.floor(random() * 12))
        const gen = 10 * (1 + Math.floor(random() * 5))
        // bash has no price for some runs: its cost has no curve, no quantile and no ratio.
        rows.push(run(`t${i % 200}`, language, outcomes[Math.floor(random() * outcomes.length)]!, total, gen, language === "bash" && i % 50 === 0 ? null : total / 7_000))
      }
    const analysis = survivalAnalysis(rows, { resamples: 50 })
    const reference = (language: string, metric: "total_tokens" | "output_tokens" | "cost_usd") => {
      const runs = rows.filter((r) => r.language === language && r.final_outcome !== "error")
      const t = (r: SurvivalRow) => (metric === "total_tokens" ? r.input_tokens + r.generation_tokens : metric === "output_tokens" ? r.generation_tokens : r.cost_usd)
      if (runs.some((r) => typeof t(r) !== "number")) return undefined
      const obs = runs.map((r) => ({ t: t(r) as number, event: r.final_outcome === "working" }))
      const steps = kaplanMeier(obs)
      return { steps, last: Math.max(...obs.map((o) => o.t)), median: survivalQuantile(steps, 0.5), p25: survivalQuantile(steps, 0.75), p75: survivalQuantile(steps, 0.25) }
    }
    const places = (metric: string) => (metric === "cost_usd" ? 8 : 0)
    const round = (x: number, p: number) => Math.round(x * 10 ** p) / 10 ** p
    for (const entry of analysis.survival)
      for (const metric of ["total_tokens", "output_tokens", "cost_usd"] as const) {
        const ref = reference(entry.language, metric)
        if (ref === undefined) {
          expect(entry[metric].median).toBeNull()
          expect(entry.curve[metric]).toEqual([])
          continue
        }
        const q = (x: number | undefined) => (x === undefined ? null : round(x, places(metric)))
        expect([entry[metric].median, entry[metric].p25, entry[metric].p75]).toEqual([q(ref.median), q(ref.p25), q(ref.p75)])
        const curve: Array<readonly [number, number]> = [[0, 1], ...ref.steps.map((s) => [round(s.t, places(metric)), round(s.s, 6)] as const)]
        if (ref.last > (ref.steps.at(-1)?.t ?? 0)) curve.push([round(ref.last, places(metric)), round(ref.steps.at(-1)?.s ?? 1, 6)])
        expect(entry.curve[metric]).toEqual(curve)
      }
    const bashCost = analysis.survival.find((e) => e.language === "bash")!
    expect(bashCost.cost_usd.median).toBeNull()
    for (const v of analysis.versus)
      for (const metric of ["total_tokens", "output_tokens"] as const) {
        const o = reference(v.language, metric)!.median
        const b = reference("ilo", metric)!.median
        expect(v[metric].ratio).toBe(o !== undefined && b !== undefined && b > 0 ? round(o / b, 4) : null)
      }
  })
})
