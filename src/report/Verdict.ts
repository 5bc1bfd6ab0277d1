import { groupDigits, mdTable } from "./format.js"
import type { Quantiles, Ratio, RatioChange, SurvivalAnalysis, SurvivalEntry, VersusChange, VersusEntry } from "./Survival.js"

/**
 * The answer every report gives first: what each language needs, as a multiple of the baseline's, to
 * get to a working program (median spend, from the Kaplan-Meier curves of Survival.ts). One sentence
 * per model and language for stdout, a table for Markdown, a tile for HTML.
 */

/** A ratio to 2 places, or to 2 significant digits below 0.1: 0.004 is not "0.00", which would read as nothing spent. */
export const ratioFigure = (x: number) => (x === 0 || Math.abs(x) >= 0.1 ? x.toFixed(2) : x.toPrecision(2))
export const ratioText = (x: number) => `${ratioFigure(x)}x`
export const ciText = (ci: readonly [number, number] | null, f: (x: number) => string) =>
  ci === null ? "95% CI not reached" : `95% CI ${f(ci[0])}-${f(ci[1])}`
export const tokensText = (x: number) => groupDigits(Math.round(x))
const usdText = (x: number) => `$${x >= 1 ? x.toFixed(2) : x >= 0.01 ? x.toFixed(3) : x.toPrecision(2)}`

const entryOf = (a: SurvivalAnalysis, language: string, model: string) =>
  a.survival.find((s) => s.language === language && s.model === model)

/** "python needs 0.48x ilo's tokens to a working program (95% CI 0.41-0.57), 0.52x its cost". */
export const verdictSentence = (a: SurvivalAnalysis, v: VersusEntry): string => {
  const own = entryOf(a, v.language, v.model)
  const base = entryOf(a, v.baseline, v.model)
  const tokens = v.total_tokens
  if (tokens.ratio === null) {
    const median = (e: SurvivalEntry | undefined) =>
      e?.total_tokens.median == null ? "not reached" : `${tokensText(e.total_tokens.median)} tokens`
    if (v.tasks === 0) return `${v.language} and ${v.baseline} have no task measured in both: no ratio`
    const short = [own, base].filter((e) => e?.total_tokens.median == null).map((e) => e?.language ?? "?")
    // Both reach a median over all their runs, not over the tasks both measured (one leg partial).
    if (short.length === 0)
      return `on the ${v.tasks} task(s) both measured, ${v.language} and ${v.baseline} do not both get half their runs working: no ratio (median tokens to a working program over all their runs: ${v.language} ${median(own)}, ${v.baseline} ${median(base)})`
    return `${short.join(" and ")} got fewer than half ${short.length > 1 ? "their" : "its"} runs working: median tokens to a working program ${v.language} ${median(own)}, ${v.baseline} ${median(base)}; no ratio`
  }
  const cost = v.cost_usd.ratio === null ? "cost not compared (unpriced or not reached)" : `${ratioText(v.cost_usd.ratio)} its cost`
  return `${v.language} needs ${ratioText(tokens.ratio)} ${v.baseline}'s tokens to a working program (${ciText(tokens.ci95, ratioFigure)}), ${cost}`
}

/** A language x model alone (no baseline to divide by): its median spend to working. */
export const aloneSentence = (s: SurvivalEntry) =>
  s.total_tokens.median === null
    ? `${s.language}: median tokens to a working program not reached (${s.working} of ${s.runs} runs worked)`
    : `${s.language} needs a median ${tokensText(s.total_tokens.median)} tokens to a working program (${ciText(s.total_tokens.ci95, tokensText)})${
        s.cost_usd.median === null ? "" : `, ${usdText(s.cost_usd.median)}`
      }`

/** The stdout lines: one per model and compared language, "haiku: python needs 0.48x ilo's tokens ...". */
export const verdictLines = (a: SurvivalAnalysis): ReadonlyArray<string> =>
  a.versus.length > 0
    ? a.versus.map((v) => `${v.model}: ${verdictSentence(a, v)}`)
    : a.survival.map((s) => `${s.model}: ${aloneSentence(s)}`)

/** The end of the stdout summary: a heading and the verdict lines. */
export const verdictBlock = (a: SurvivalAnalysis) =>
  [`Verdict (median spend to a working program, Kaplan-Meier; 95% CI by task bootstrap):`, ...verdictLines(a)].join("\n")

const quantileCell = (q: Quantiles, f: (x: number) => string) =>
  q.median === null
    ? `not reached${q.p25 === null ? "" : ` (p25 ${f(q.p25)})`}`
    : `${f(q.median)} (${q.p25 === null ? "–" : f(q.p25)}–${q.p75 === null ? "not reached" : f(q.p75)}; ${ciText(q.ci95, f)})`
const ratioCell = (r: Ratio) => (r.ratio === null ? "no ratio" : `${ratioText(r.ratio)} (${ciText(r.ci95, ratioFigure)})`)

export const METHOD =
  "Spend to a working program, per run: tokens (input + output), output tokens and cost when its first working program arrived; " +
  "a run that never worked is censored at what it spent, runs ending in \"error\" are left out (counted). Kaplan-Meier curves per language x model; " +
  "the median is the smallest spend with S(t) <= 0.5 (p25: <= 0.75, p75: <= 0.25), \"not reached\" when the curve never falls that far. " +
  "Intervals: 95% percentile bootstrap resampling tasks (seeded), paired over the tasks both languages measured for the ratios."

/** The Markdown verdict: ratios against the baseline, then each language's survival figures. */
export const verdictMarkdown = (a: SurvivalAnalysis): ReadonlyArray<string> => {
  const lines = ["## Verdict: spend to a working program", ""]
  if (a.versus.length > 0) {
    lines.push(...a.versus.map((v) => `- **${v.model}**: ${verdictSentence(a, v)}.`), "")
    lines.push(
      ...mdTable(
        ["model", "language", `vs ${a.baseline}: tokens (95% CI)`, "output tokens", "cost", "tasks"],
        a.versus.map((v) => [v.model, v.language, ratioCell(v.total_tokens), ratioCell(v.output_tokens), ratioCell(v.cost_usd), String(v.tasks)])
      ),
      ""
    )
  } else if (a.survival.length > 0)
    lines.push(
      a.survival.some((s) => s.language === a.baseline)
        ? `No ratios: no other language ran beside the baseline (${a.baseline}) with the same model.`
        : `No ratios: the baseline language (${a.baseline}) did not run.`,
      ""
    )
  lines.push(
    ...mdTable(
      ["language", "model", "runs", "working", "censored", "errors", "median tokens (p25–p75; 95% CI)", "median output tokens", "median cost"],
      a.survival.map((s) => [
        s.language,
        s.model,
        String(s.runs),
        String(s.working),
        String(s.censored),
        String(s.errors),
        quantileCell(s.total_tokens, tokensText),
        quantileCell(s.output_tokens, tokensText),
        s.cost_usd.median === null && s.cost_usd.p25 === null && s.curve.cost_usd.length === 0 ? "n/a" : quantileCell(s.cost_usd, usdText)
      ])
    ),
    "",
    METHOD,
    ""
  )
  return lines
}

const signedRatio = (x: number) => `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x).toFixed(2)}`
const changeCell = (c: RatioChange) =>
  c.change === null
    ? `${c.a === null ? "no ratio" : ratioText(c.a)} -> ${c.b === null ? "no ratio" : ratioText(c.b)}`
    : `${ratioText(c.a!)} -> ${ratioText(c.b!)} (${signedRatio(c.change)}; ${c.ci95 === null ? "95% CI not reached" : `95% CI ${signedRatio(c.ci95[0])} to ${signedRatio(c.ci95[1])}`})`

/** compare's stdout lines: how each ratio to the baseline moved from A to B. */
export const ratioChangeLines = (changes: ReadonlyArray<VersusChange>): ReadonlyArray<string> =>
  changes.map(
    (c) =>
      `${c.model}: ${c.language} vs ${c.baseline}, on ${c.tasks} task(s) measured in both runs: tokens to a working program ${changeCell(c.total_tokens)}; cost ${changeCell(c.cost_usd)}`
  )

export const RATIO_CHANGE_HEADER = ["model", "language", "tasks", "tokens", "output tokens", "cost"]
export const ratioChangeRows = (changes: ReadonlyArray<VersusChange>) =>
  changes.map((c) => [c.model, c.language, String(c.tasks), changeCell(c.total_tokens), changeCell(c.output_tokens), changeCell(c.cost_usd)])

/** compare's Markdown section of the same. */
export const ratioChangeMarkdown = (changes: ReadonlyArray<VersusChange>, baseline: string): ReadonlyArray<string> => {
  if (changes.length === 0) return [`## Ratios to ${baseline}`, "", `No language ran beside ${baseline} in both runs.`, ""]
  return [
    `## Ratios to ${baseline}: A -> B`,
    "",
    "Each language's median spend to a working program over the baseline's (Kaplan-Meier), in A and in B, on the tasks both languages measured in both runs; " +
      "the change is B − A, with a 95% bootstrap interval that draws the same tasks for both runs.",
    "",
    ...mdTable(RATIO_CHANGE_HEADER, ratioChangeRows(changes)),
    ""
  ]
}
