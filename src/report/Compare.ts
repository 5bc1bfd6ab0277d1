import { Effect } from "effect"
import { analyse, totalTokens, type GroupSummary } from "./Analysis.js"
import { barChart } from "./Svg.js"
import { CSP, STYLE } from "./Html.js"
import { esc } from "./format.js"
import { bootstrapMeanDifference, mcnemarExact, type Interval, type McNemar } from "./Stats.js"
import { fmtInt, fmtNum, fmtPct, NOT_MEASURED } from "./SweepMarkdown.js"
import { runKey, type ResultRow, type Sweep } from "./Sweep.js"

/** Two runs (A before, B after), side by side: what changed per run, and per language x model with tests. */

export interface RunChange {
  readonly task: string
  readonly language: string
  readonly model: string
  readonly a: ResultRow | undefined
  readonly b: ResultRow | undefined
  /** B's tokens minus A's, when both ran. */
  readonly tokenDelta: number | undefined
  readonly attemptDelta: number | undefined
}

export interface GroupChange {
  readonly language: string
  readonly model: string
  readonly a: GroupSummary | undefined
  readonly b: GroupSummary | undefined
  /** B's success rate minus A's (on each run's own measured runs). */
  readonly rateDelta: number | undefined
  /** Tasks measured (not "error") in both: McNemar's pairs. */
  readonly paired: number
  readonly mcnemar: McNemar
  /** Change in mean tokens to success, B minus A, with a 95% bootstrap interval. */
  readonly tokens: Interval | undefined
}

export interface Comparison {
  readonly a: Sweep
  readonly b: Sweep
  readonly runs: ReadonlyArray<RunChange>
  readonly groups: ReadonlyArray<GroupChange>
}

const distinct = <A>(values: Iterable<A>) => [...new Set(values)]

const RANK: Record<string, number> = { working: 3, partial: 2, failed: 1, error: 0 }

/** +1 when B's outcome is better than A's, -1 when worse, 0 when the same or not comparable. */
export const direction = (c: RunChange) =>
  c.a === undefined || c.b === undefined || c.a.final_outcome === "error" || c.b.final_outcome === "error"
    ? 0
    : Math.sign(RANK[c.b.final_outcome]! - RANK[c.a.final_outcome]!)

export const compareSweeps = (a: Sweep, b: Sweep): Comparison => {
  const ia = new Map(a.results.map((r) => [runKey(r), r]))
  const ib = new Map(b.results.map((r) => [runKey(r), r]))
  const keys = distinct([...a.results, ...b.results].map((r) => ({ task: r.task, language: r.language, model: r.model })).map((k) => JSON.stringify(k)))
  const runs = keys.map((json) => {
    const k = JSON.parse(json) as { task: string; language: string; model: string }
    const ra = ia.get(runKey(k))
    const rb = ib.get(runKey(k))
    return {
      ...k,
      a: ra,
      b: rb,
      tokenDelta: ra && rb ? totalTokens(rb) - totalTokens(ra) : undefined,
      attemptDelta: ra && rb ? rb.attempts_total - ra.attempts_total : undefined
    }
  })
  const aa = analyse(a)
  const ab = analyse(b)
  const combos = distinct([...aa.groups, ...ab.groups].map((g) => JSON.stringify([g.language, g.model])))
  const groups = combos.map((json, i) => {
    const [language, model] = JSON.parse(json) as [string, string]
    const ga = aa.groups.find((g) => g.language === language && g.model === model)
    const gb = ab.groups.find((g) => g.language === language && g.model === model)
    const pairs = runs.filter(
      (c) => c.language === language && c.model === model && c.a && c.b && c.a.final_outcome !== "error" && c.b.final_outcome !== "error"
    )
    const working = (s: Sweep) =>
      s.results.filter((r) => r.language === language && r.model === model && r.final_outcome === "working").map(totalTokens)
    return {
      language,
      model,
      a: ga,
      b: gb,
      rateDelta: ga?.rate !== undefined && gb?.rate !== undefined ? gb.rate - ga.rate : undefined,
      paired: pairs.length,
      mcnemar: mcnemarExact(pairs.map((c) => [c.a!.final_outcome === "working", c.b!.final_outcome === "working"] as const)),
      tokens: bootstrapMeanDifference(working(a), working(b), { seed: 7919 + i })
    }
  })
  return { a, b, runs, groups }
}

const signed = (n: number | undefined, f: (x: number) => string = (x) => fmtInt(x)) =>
  n === undefined ? "–" : n > 0 ? `+${f(n)}` : n < 0 ? `−${f(-n)}` : "0"
const pts = (x: number | undefined) => (x === undefined ? "–" : `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x * 100).toFixed(0)} pts`)
const pValue = (p: number) => (p < 0.001 ? "<0.001" : p.toFixed(3))
const interval = (i: Interval | undefined) => (i === undefined ? "–" : `${signed(i.estimate)} (95% CI ${signed(i.low)} to ${signed(i.high)})`)
const outcome = (r: ResultRow | undefined) => (r === undefined ? NOT_MEASURED : r.final_outcome)
const label = (s: Sweep) => s.sources.map((x) => x.file).join(" + ")

/** One line per language x model, for stdout. */
export const compareSummary = (c: Comparison): string => {
  const both = c.runs.filter((r) => r.a && r.b)
  const better = both.filter((r) => direction(r) > 0).length
  const worse = both.filter((r) => direction(r) < 0).length
  const lines = [
    `Compared A (${label(c.a)}) with B (${label(c.b)}): ${both.length} run(s) in both, ${better} better, ${worse} worse, ${both.length - better - worse} unchanged.`
  ]
  for (const g of c.groups)
    lines.push(
      `${g.language}/${g.model}: success ${fmtPct(g.a?.rate)} -> ${fmtPct(g.b?.rate)} (${pts(g.rateDelta)}; McNemar exact p=${pValue(g.mcnemar.p)} on ${g.paired} task(s)); mean tokens to success ${fmtInt(g.a?.meanTokensToSuccess)} -> ${fmtInt(g.b?.meanTokensToSuccess)} (${interval(g.tokens)})`
    )
  return lines.join("\n")
}

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) => [
  `| ${header.join(" | ")} |`,
  `|${header.map(() => "---").join("|")}|`,
  ...rows.map((r) => `| ${r.join(" | ")} |`)
]

const groupRows = (c: Comparison) =>
  c.groups.map((g) => [
    g.language,
    g.model,
    fmtPct(g.a?.rate),
    fmtPct(g.b?.rate),
    pts(g.rateDelta),
    `${g.mcnemar.onlyA} / ${g.mcnemar.onlyB}`,
    String(g.paired),
    pValue(g.mcnemar.p),
    fmtInt(g.a?.meanTokensToSuccess),
    fmtInt(g.b?.meanTokensToSuccess),
    interval(g.tokens)
  ])

const GROUP_HEADER = ["language", "model", "success A", "success B", "change", "only A / only B working", "paired tasks", "McNemar p", "mean tokens to success A", "B", "change in mean tokens (95% bootstrap CI)"]
const RUN_HEADER = ["task", "language", "model", "outcome A", "outcome B", "tokens A", "tokens B", "Δ tokens", "attempts A", "attempts B", "Δ attempts"]

const runRow = (r: RunChange) => [
  r.task,
  r.language,
  r.model,
  outcome(r.a),
  outcome(r.b),
  r.a ? fmtInt(totalTokens(r.a)) : "–",
  r.b ? fmtInt(totalTokens(r.b)) : "–",
  signed(r.tokenDelta),
  r.a ? String(r.a.attempts_total) : "–",
  r.b ? String(r.b.attempts_total) : "–",
  signed(r.attemptDelta, String)
]

const METHOD =
  "Success rate counts runs that reached the model. McNemar's test is exact (two-sided binomial on the tasks that worked in only one of the two runs), over tasks measured in both. The token interval is a seeded percentile bootstrap (4,000 resamples of each run's working runs, independently)."

export const renderCompareMarkdown = (c: Comparison): string => {
  const lines = [`# Comparison: A vs B`, "", `- A: ${label(c.a)}`, `- B: ${label(c.b)}`, "", "## Per language and model", "", METHOD, ""]
  lines.push(...table(GROUP_HEADER, groupRows(c)), "")
  const changed = c.runs.filter((r) => r.a?.final_outcome !== r.b?.final_outcome)
  lines.push("## Outcome changes", "")
  if (changed.length === 0) lines.push("No run changed outcome.", "")
  else lines.push(...table(RUN_HEADER, changed.map(runRow)), "")
  lines.push("## Every run", "", ...table(RUN_HEADER, c.runs.map(runRow)), "")
  return lines.join("\n")
}

const htmlTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, rowClass: (i: number) => string = () => "") =>
  `<table><thead><tr>${header.map((h, i) => `<th${i < 3 ? ' class="l"' : ""}>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r, i) => `<tr class="${rowClass(i)}">${r.map((v, j) => `<td${j < 3 ? ' class="l"' : ""}>${esc(v)}</td>`).join("")}</tr>`)
    .join("\n")}</tbody></table>`

const A_COLOR = "#adb5bd"
const B_COLOR = "#4c6ef5"

export const renderCompareHtml = (c: Comparison) =>
  Effect.sync(() => {
    const chart = barChart({
      rows: c.groups.map((g) => ({
        label: `${g.language} / ${g.model}`,
        bars: [
          { value: g.a?.rate ?? 0, color: A_COLOR },
          { value: g.b?.rate ?? 0, color: B_COLOR }
        ]
      })),
      axisTitle: "success rate",
      step: 36,
      legend: [
        { name: "A", color: A_COLOR },
        { name: "B", color: B_COLOR }
      ]
    })
    const changed = c.runs.filter((r) => r.a?.final_outcome !== r.b?.final_outcome)
    const cls = (rows: ReadonlyArray<RunChange>) => (i: number) => {
      const d = direction(rows[i]!)
      return d > 0 ? "o-working" : d < 0 ? "o-failed" : ""
    }
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>Comparison: A vs B</title><style>${STYLE}</style></head>
<body><main>
<h1>Comparison: A vs B</h1>
<p class="sub">A: ${esc(label(c.a))}<br>B: ${esc(label(c.b))}</p>
<h2>Per language and model</h2>
<div class="card">${htmlTable(GROUP_HEADER, groupRows(c))}<figcaption>${esc(METHOD)}</figcaption></div>
<div class="card"><figure class="chart" id="chart-compare">${chart}<figcaption>Success rate, A (grey) and B (blue).</figcaption></figure></div>
<h2>Outcome changes</h2>
<div class="card">${changed.length === 0 ? "<p>No run changed outcome.</p>" : htmlTable(RUN_HEADER, changed.map(runRow), cls(changed))}</div>
<h2>Every run</h2>
<div class="card">${htmlTable(RUN_HEADER, c.runs.map(runRow), cls(c.runs))}<figcaption>Green: B better than A; red: B worse.</figcaption></div>
<p class="ci">${esc(fmtNum(c.runs.length, 0))} run(s) in all.</p>
</main></body></html>
`
  })
