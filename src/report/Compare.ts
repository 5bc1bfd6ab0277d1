import { Effect } from "effect"
import { analyse, totalTokens } from "./Analysis.js"
import { changeChart } from "./Plot.js"
import { CSP, STYLE } from "./Html.js"
import { distinct, esc, mdTable, mdText } from "./format.js"
import { bootstrapPairedMeanDifference, mcnemarExact, mean, type Interval, type McNemar } from "./Stats.js"
import { fmtInt, fmtNum, fmtPct, NOT_MEASURED } from "./SweepMarkdown.js"
import { runKey, type ResultRow, type Sweep } from "./Sweep.js"
import { versusChange, type VersusChange } from "./Survival.js"
import { RATIO_CHANGE_HEADER, ratioChangeLines, ratioChangeMarkdown, ratioChangeRows } from "./Verdict.js"

/** Two runs (A before, B after), side by side: what changed per run, and per language x model with tests. */

export interface RunChange {
  readonly task: string
  readonly language: string
  readonly model: string
  readonly trial: number
  readonly a: ResultRow | undefined
  readonly b: ResultRow | undefined
  /** B's tokens minus A's, when both ran. */
  readonly tokenDelta: number | undefined
  readonly attemptDelta: number | undefined
}

/**
 * One language x model in A and in B, every measure over the same tasks: those measured (not
 * "error") in both. A rate over each side's own runs would compare different task sets whenever
 * one side is partial or ran other tasks.
 */
export interface GroupChange {
  readonly language: string
  readonly model: string
  /** Runs (tasks, or task x trial with trials) measured in both: McNemar's pairs, and what every other measure here is over. */
  readonly paired: number
  readonly rateA: number | undefined
  readonly rateB: number | undefined
  /** B's success rate minus A's. */
  readonly rateDelta: number | undefined
  readonly mcnemar: McNemar
  readonly meanTokensA: number | undefined
  readonly meanTokensB: number | undefined
  /** Change in mean tokens to success, B minus A, with a 95% bootstrap interval. */
  readonly tokens: Interval | undefined
}

export interface Comparison {
  readonly a: Sweep
  readonly b: Sweep
  readonly runs: ReadonlyArray<RunChange>
  readonly groups: ReadonlyArray<GroupChange>
  /** The baseline language of the ratios, and how each language's ratio to it moved from A to B. */
  readonly baseline: string
  readonly ratios: ReadonlyArray<VersusChange>
  /** What a reader must know before trusting the numbers: a partial side, settings that differ. */
  readonly notes: ReadonlyArray<string>
}

const RANK: Record<string, number> = { working: 3, partial: 2, failed: 1, error: 0 }

/** +1 when B's outcome is better than A's, -1 when worse, 0 when the same or not comparable. */
export const direction = (c: RunChange) =>
  c.a === undefined || c.b === undefined || c.a.final_outcome === "error" || c.b.final_outcome === "error"
    ? 0
    : Math.sign(RANK[c.b.final_outcome]! - RANK[c.a.final_outcome]!)

export const compareSweeps = (a: Sweep, b: Sweep, baseline = "ilo"): Comparison => {
  const ia = new Map(a.results.map((r) => [runKey(r), r]))
  const ib = new Map(b.results.map((r) => [runKey(r), r]))
  // Each trial is a run of its own: trial 2 of a task pairs with trial 2 on the other side.
  const keys = distinct(
    [...a.results, ...b.results].map((r) => ({ task: r.task, language: r.language, model: r.model, trial: r.trial ?? 1 })).map((k) => JSON.stringify(k))
  )
  const runs = keys.map((json) => {
    const k = JSON.parse(json) as { task: string; language: string; model: string; trial: number }
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
  const groups = combos.map((json, i): GroupChange => {
    const [language, model] = JSON.parse(json) as [string, string]
    const pairs = runs.filter((c) => c.language === language && c.model === model && comparable(c))
    const rate = (side: (c: RunChange) => ResultRow) =>
      pairs.length === 0 ? undefined : pairs.filter((c) => side(c).final_outcome === "working").length / pairs.length
    const working = (side: (c: RunChange) => ResultRow) =>
      pairs.map(side).filter((r) => r.final_outcome === "working").map(totalTokens)
    const rateA = rate((c) => c.a!)
    const rateB = rate((c) => c.b!)
    const tokensA = working((c) => c.a!)
    const tokensB = working((c) => c.b!)
    return {
      language,
      model,
      paired: pairs.length,
      rateA,
      rateB,
      rateDelta: rateA !== undefined && rateB !== undefined ? rateB - rateA : undefined,
      mcnemar: mcnemarExact(pairs.map((c) => [c.a!.final_outcome === "working", c.b!.final_outcome === "working"] as const)),
      meanTokensA: mean(tokensA),
      meanTokensB: mean(tokensB),
      // The same tasks on both sides: resampled together, as the ratios' intervals are.
      tokens: bootstrapPairedMeanDifference(
        pairs.map((c) => [working1(c.a!), working1(c.b!)] as const),
        { seed: 7919 + i }
      )
    }
  })
  const ranBoth = (language: string, model: string) =>
    [a, b].every((s) => s.results.some((r) => r.language === language && r.model === model))
  const ratios = distinct([...a.models, ...b.models]).flatMap((model) =>
    ranBoth(baseline, model)
      ? distinct([...a.languages, ...b.languages])
          .filter((l) => l !== baseline && ranBoth(l, model))
          .map((l) => versusChange(a.results, b.results, l, model, baseline))
      : []
  )
  return { a, b, runs, groups, baseline, ratios, notes: comparisonNotes(a, b, aa.partial, ab.partial) }
}

/** A run's tokens when it worked, for the mean tokens to success. */
const working1 = (r: ResultRow) => (r.final_outcome === "working" ? totalTokens(r) : undefined)

/** Both sides ran it and reached the model: a pair every measure may use. */
const comparable = (c: RunChange) => c.a !== undefined && c.b !== undefined && c.a.final_outcome !== "error" && c.b.final_outcome !== "error"

/** Settings that shape results; a difference is the point of some comparisons, and a reader must see it. */
const SHAPING = ["tasks_sha256", "retry_cap", "max_tokens", "run_timeout_s", "prompt_layout", "prompt_cache", "context", "temperature", "thinking_budget", "trials", "confirm"]

const comparisonNotes = (a: Sweep, b: Sweep, aPartial: boolean, bPartial: boolean) => {
  const notes: Array<string> = []
  const unfinished = [...(aPartial ? ["A"] : []), ...(bPartial ? ["B"] : [])]
  if (unfinished.length > 0)
    notes.push(`${unfinished.join(" and ")} ${unfinished.length > 1 ? "are" : "is"} partial: every measure is over the ${pairedUnit(a, b).plural} measured in both.`)
  const settings = (s: Sweep) => new Map(s.sources.flatMap((x) => x.settings))
  const sa = settings(a)
  const sb = settings(b)
  const differ = SHAPING.filter((k) => sa.has(k) && sb.has(k) && sa.get(k) !== sb.get(k)).map((k) => `${k} ${sa.get(k)} vs ${sb.get(k)}`)
  // Where programs ran (not what --sandbox asked for): this project's files from before the sandbox ran none.
  const sandbox = (s: Sweep) => {
    const modes = distinct(s.sources.flatMap((x) => (x.config === undefined ? [] : [(x.config.sandbox as { mode?: string } | undefined)?.mode ?? "none"])))
    return modes.length === 1 ? modes[0] : undefined
  }
  const [ma, mb] = [sandbox(a), sandbox(b)]
  if (ma !== undefined && mb !== undefined && ma !== mb) differ.push(`sandbox ${ma} vs ${mb}`)
  if (differ.length > 0) notes.push(`Settings that differ between A and B: ${differ.join("; ")}.`)
  // Tokens and cost leave out what abandoned requests may have been billed: a side with some counts low.
  for (const [side, sweep] of [["A", a], ["B", b]] as const) {
    const abandoned = sweep.results.reduce((n, r) => n + (r.abandoned_requests ?? []).length, 0)
    if (abandoned > 0)
      notes.push(`${side} has ${abandoned} model request(s) abandoned after sending (timeouts, lost connections): their billing is unknown and in no token or cost figure, so ${side}'s are lower bounds.`)
  }
  return notes
}

const signed = (n: number | undefined, f: (x: number) => string = (x) => fmtInt(x)) =>
  n === undefined ? "–" : n > 0 ? `+${f(n)}` : n < 0 ? `−${f(-n)}` : "0"
const pts = (x: number | undefined) => (x === undefined ? "–" : `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x * 100).toFixed(0)} pts`)
const pValue = (g: GroupChange) => (g.paired === 0 ? "–" : g.mcnemar.p < 0.001 ? "<0.001" : g.mcnemar.p.toFixed(3))
const interval = (i: Interval | undefined) => (i === undefined ? "–" : `${signed(i.estimate)} (95% CI ${signed(i.low)} to ${signed(i.high)})`)
const outcome = (r: ResultRow | undefined) => (r === undefined ? NOT_MEASURED : r.final_outcome)
const label = (s: Sweep) => s.sources.map((x) => x.file).join(" + ")

/** One line per language x model, for stdout. */
export const compareSummary = (c: Comparison): string => {
  const both = c.runs.filter((r) => r.a && r.b)
  const pairs = both.filter(comparable)
  const better = pairs.filter((r) => direction(r) > 0).length
  const worse = pairs.filter((r) => direction(r) < 0).length
  const apart = both.length - pairs.length
  const lines = [
    `Compared A (${label(c.a)}) with B (${label(c.b)}): ${both.length} run(s) in both, ${better} better, ${worse} worse, ${pairs.length - better - worse} unchanged` +
      (apart > 0 ? `, ${apart} not comparable (an "error" on one side).` : ".")
  ]
  for (const g of c.groups)
    lines.push(
      `${g.language}/${g.model}, on ${g.paired} ${pairedUnit(c.a, c.b).counted} measured in both: success ${fmtPct(g.rateA)} -> ${fmtPct(g.rateB)} (${pts(g.rateDelta)}; McNemar exact p=${pValue(g)}); mean tokens to success ${fmtInt(g.meanTokensA)} -> ${fmtInt(g.meanTokensB)} (${interval(g.tokens)})`
    )
  lines.push(...ratioChangeLines(c.ratios))
  for (const note of c.notes) lines.push(`Note: ${note}`)
  return lines.join("\n")
}


const groupRows = (c: Comparison) =>
  c.groups.map((g) => [
    g.language,
    g.model,
    String(g.paired),
    fmtPct(g.rateA),
    fmtPct(g.rateB),
    pts(g.rateDelta),
    `${g.mcnemar.onlyA} / ${g.mcnemar.onlyB}`,
    pValue(g),
    fmtInt(g.meanTokensA),
    fmtInt(g.meanTokensB),
    interval(g.tokens)
  ])

/** What a pair is: a task, or with trials a task's trial (trial 2 pairs with trial 2). */
const pairedUnit = (a: Sweep, b: Sweep) =>
  Math.max(a.trials, b.trials) > 1
    ? { plural: "runs (task and trial)", counted: "run(s) (task and trial)", trials: true }
    : { plural: "tasks", counted: "task(s)", trials: false }

const groupHeader = (c: Comparison) => ["language", "model", `${pairedUnit(c.a, c.b).plural} measured in both`, "success A", "success B", "change", "only A / only B working", "McNemar p", "mean tokens to success A", "B", "change in mean tokens (95% bootstrap CI)"]
const runHeader = (c: Comparison) => [...(pairedUnit(c.a, c.b).trials ? ["task", "trial"] : ["task"]), "language", "model", "outcome A", "outcome B", "tokens A", "tokens B", "Δ tokens", "attempts A", "attempts B", "Δ attempts"]

const runRow = (c: Comparison) => {
  const trials = pairedUnit(c.a, c.b).trials
  return (r: RunChange) => [
    r.task,
    ...(trials ? [String(r.trial)] : []),
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
}

const method = (c: Comparison) => {
  const unit = pairedUnit(c.a, c.b).plural
  return `Every measure is over the ${unit} measured in both (neither side an "error"), so a partial run or other tasks do not move it. McNemar's test is exact (two-sided binomial on the ${unit} that worked on one side only). The token interval is a seeded percentile bootstrap (4,000 resamples of the ${unit} measured in both, the same draw for both sides, each side's mean over its working runs drawn).`
}

export const renderCompareMarkdown = (c: Comparison): string => {
  const lines = [`# Comparison: A vs B`, "", `- A: ${mdText(label(c.a))}`, `- B: ${mdText(label(c.b))}`, "", ...c.notes.map((n) => `> **${mdText(n)}**\n`), "## Per language and model", "", method(c), ""]
  lines.push(...mdTable(groupHeader(c), groupRows(c)), "")
  lines.push(...ratioChangeMarkdown(c.ratios, c.baseline))
  const changed = c.runs.filter((r) => r.a?.final_outcome !== r.b?.final_outcome)
  lines.push("## Outcome changes", "")
  if (changed.length === 0) lines.push("No run changed outcome.", "")
  else lines.push(...mdTable(runHeader(c), changed.map(runRow(c))), "")
  lines.push("## Every run", "", ...mdTable(runHeader(c), c.runs.map(runRow(c))), "")
  return lines.join("\n")
}

const htmlTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, rowClass: (i: number) => string = () => "", tableClass = "") =>
  `<table class="${tableClass}"><thead><tr>${header.map((h, i) => `<th${i < 3 ? ' class="l"' : ""}>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r, i) => `<tr class="${rowClass(i)}">${r.map((v, j) => `<td${j < 3 ? ' class="l"' : ""}>${esc(v)}</td>`).join("")}</tr>`)
    .join("\n")}</tbody></table>`

export const renderCompareHtml = (c: Comparison) =>
  Effect.sync(() => {
    const chart = changeChart({
      rows: c.groups.map((g) => ({
        label: `${g.language} / ${g.model}`,
        a: g.rateA,
        b: g.rateB,
        title: `${g.language} / ${g.model}: A ${fmtPct(g.rateA)}, B ${fmtPct(g.rateB)} on ${g.paired} measured in both`
      })),
      xLabel: "success rate",
      aName: "A",
      bName: "B"
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
${c.notes.map((n) => `<div class="banner">${esc(n)}</div>`).join("\n")}
<h2>Per language and model</h2>
<div class="card">${htmlTable(groupHeader(c), groupRows(c), () => "", "groups wrap")}<figcaption>${esc(method(c))}</figcaption></div>
<h2>Ratios to ${esc(c.baseline)}: A -> B</h2>
<div class="card">${c.ratios.length === 0 ? `<p>No language ran beside ${esc(c.baseline)} in both runs.</p>` : htmlTable(RATIO_CHANGE_HEADER, ratioChangeRows(c.ratios), () => "", "ratios wrap")}<figcaption>Median spend to a working program over ${esc(c.baseline)}'s, A then B, with the change B − A and its 95% bootstrap interval (the same tasks drawn for both runs).</figcaption></div>
<div class="card"><figure class="chart" id="chart-compare">${chart}<figcaption>Success rate, A (grey circle) to B (blue diamond); hover a point for its exact value.</figcaption></figure></div>
<h2>Outcome changes</h2>
<div class="card">${changed.length === 0 ? "<p>No run changed outcome.</p>" : htmlTable(runHeader(c), changed.map(runRow(c)), cls(changed), "wrap")}</div>
<h2>Every run</h2>
<div class="card">${htmlTable(runHeader(c), c.runs.map(runRow(c)), cls(c.runs), "wrap")}<figcaption>Green: B better than A; red: B worse.</figcaption></div>
<p class="ci">${esc(fmtNum(c.runs.length, 0))} run(s) in all.</p>
</main></body></html>
`
  })
