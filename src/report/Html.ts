import { Effect } from "effect"
import { analyse, banners, totalTokens, truncatedAttempts, type Analysis } from "./Analysis.js"
import { renderCharts, type RenderedCharts } from "./Charts.js"
import type { ResultRow, Sweep } from "./Sweep.js"
import { esc } from "./format.js"
import { fmtInt, fmtNum, fmtPct, fmtRatio, fmtSeconds, fmtUsd, headToHead, headToHeadNote, headToHeadPairsLabel, NOT_MEASURED, sweepCensus, sweepSurvival, sweepTitle } from "./SweepMarkdown.js"
import type { SurvivalAnalysis } from "./Survival.js"
import { survivalSection } from "./VerdictHtml.js"
import { censusHtml, type CensusEntry } from "./Census.js"

/**
 * A part of an anchor that cannot be mistaken for another: letters, digits and lone inner dashes as
 * they are, anything else as `_hex_`. So no part holds "--" and the parts' join is one to one
 * ("a_b" and "a.b" had both become "a_b", and their grid cells linked to the same run).
 */
const anchorPart = (text: string) =>
  Array.from(text)
    .map((ch, i, all) =>
      /[A-Za-z0-9]/.test(ch) || (ch === "-" && i > 0 && i < all.length - 1 && all[i - 1] !== "-" && all[i + 1] !== "-")
        ? ch
        : `_${ch.codePointAt(0)!.toString(16)}_`
    )
    .join("")

/** A stable anchor for a run's attempts (trials after the first get their own), distinct for distinct runs. */
export const runAnchor = (r: { readonly task: string; readonly language: string; readonly model: string; readonly trial?: number | undefined }) =>
  "run-" + [r.task, r.language, r.model].map(anchorPart).join("--") + ((r.trial ?? 1) > 1 ? `--trial-${r.trial}` : "")

/** Everything the page needs is in this file: no script, no font, no image from anywhere. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

export const STYLE = `
:root { --fg:#1d1f24; --muted:#667; --line:#e3e4ea; --bg:#f7f7fa; --card:#fff;
  --working:#d3f9d8; --working-fg:#1b5e20; --partial:#fff3bf; --partial-fg:#7a5b00;
  --failed:#ffe3e3; --failed-fg:#8a1c1c; --error:#e9ecef; --error-fg:#495057; --accent:#4c6ef5; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
main { max-width:1180px; margin:0 auto; padding:28px 24px 64px; }
h1 { font-size:24px; margin:0 0 4px; } h2 { font-size:18px; margin:36px 0 10px; } h3 { font-size:15px; margin:20px 0 8px; }
.sub { color:var(--muted); margin:0 0 18px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; margin:12px 0; overflow-x:auto; }
.banner { background:#fff4e6; border:1px solid #ffc078; color:#7a3e00; border-radius:10px; padding:10px 14px; margin:10px 0; font-weight:500; }
.kpis { display:flex; flex-wrap:wrap; gap:12px; margin:16px 0; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 14px; min-width:170px; }
.kpi b { display:block; font-size:20px; } .kpi span { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { padding:6px 10px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
th { font-weight:600; color:#333; background:#fafafc; position:sticky; top:0; white-space:normal; vertical-align:bottom; }
th:first-child, td:first-child, td.l, th.l { text-align:left; }
table.wrap td.l, table.wrap td:last-child, table.ratios td { white-space:normal; }
table.census td[rowspan] { vertical-align:top; }
.ci { color:var(--muted); font-size:12px; }
figure.chart { margin:0; } figure.chart svg { max-width:100%; height:auto; }
.grid th { text-align:center; }
figcaption { color:var(--muted); font-size:12.5px; margin-top:6px; }
.grid td.cell { text-align:center; padding:0; border:2px solid var(--card); }
.grid td.cell a, .grid td.cell span { display:block; padding:6px 8px; color:inherit; text-decoration:none; font-size:12px; line-height:1.3; }
.grid td.cell a:hover { outline:2px solid var(--accent); }
.o-working { background:var(--working); color:var(--working-fg); } .o-partial { background:var(--partial); color:var(--partial-fg); }
.o-failed { background:var(--failed); color:var(--failed-fg); } .o-error { background:var(--error); color:var(--error-fg); }
.o-missing { background:repeating-linear-gradient(45deg,#fafafa,#fafafa 6px,#f0f0f3 6px,#f0f0f3 12px); color:#999; }
.legend span { display:inline-block; padding:2px 8px; border-radius:4px; margin-right:6px; font-size:12px; }
details.run { background:var(--card); border:1px solid var(--line); border-radius:8px; margin:6px 0; }
details.run > summary { cursor:pointer; padding:8px 12px; font-weight:500; }
details.run:target { outline:2px solid var(--accent); }
details.run .body { padding:0 12px 12px; }
.attempt { border-top:1px solid var(--line); padding-top:8px; margin-top:8px; }
pre { background:#f4f5f8; border-radius:6px; padding:8px 10px; overflow-x:auto; font-size:12px; max-height:320px; margin:4px 0; }
.tag { display:inline-block; padding:0 6px; border-radius:4px; font-size:12px; }
dl.config { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; margin:0; }
dl.config dt { color:var(--muted); } dl.config dd { margin:0; word-break:break-all; }
`

const outcomeClass = (r: ResultRow | undefined) => (r === undefined ? "o-missing" : `o-${r.final_outcome}`)

/**
 * The summary in two tables so that the answer fits a 1280px window: outcomes, attempts, money and
 * time first; the token counts, which need four wide columns, second.
 */
const summaryTable = (a: Analysis) => {
  const anyCost = a.groups.some((g) => g.cost !== undefined)
  const head = ["language · model", "working / runs", "success rate (95% interval)", "mean attempts to success", ...(anyCost ? ["cost", "cost per success"] : []), "mean wall time", "mean tokens to success"]
  const rows = a.groups.map(
    (g) =>
      `<tr><td class="l">${esc(g.language)} <span class="ci">· ${esc(g.model)}</span></td><td>${g.working} / ${g.measured}${g.flaky > 0 ? ` <span class="ci">(${g.flaky} flaky)</span>` : ""}${g.errors > 0 ? ` <span class="ci">(+${g.errors} error)</span>` : ""}</td><td>${esc(fmtPct(g.rate))} <span class="ci">${g.measured === 0 ? "nothing measured" : `${esc(fmtPct(g.interval.low))}–${esc(fmtPct(g.interval.high))}`}</span></td><td>${fmtNum(g.meanAttemptsToSuccess, 2)}</td>${anyCost ? `<td class="cost">${fmtUsd(g.cost)}${g.abandoned > 0 ? ` <span class="ci">+ ${g.abandoned} request(s) of unknown billing</span>` : ""}</td><td class="cost">${fmtUsd(g.costPerSuccess)}</td>` : ""}<td>${fmtSeconds(g.meanWallTime)}</td><td>${fmtInt(g.meanTokensToSuccess)}</td></tr>`
  )
  return `<table class="summary"><thead><tr>${head.map((h, i) => `<th${i < 1 ? ' class="l"' : ""}>${h}</th>`).join("")}</tr></thead><tbody>${rows.join("\n")}</tbody></table>`
}

const tokensTable = (a: Analysis) => {
  const head = ["language · model", "mean tokens to success", "median tokens to success", "mean generation tokens to success", "attempts cut at max_tokens"]
  const rows = a.groups.map(
    (g) => `<tr><td class="l">${esc(g.language)} <span class="ci">· ${esc(g.model)}</span></td><td>${fmtInt(g.meanTokensToSuccess)}</td><td>${fmtInt(g.medianTokensToSuccess)}</td><td>${fmtInt(g.meanGenTokensToSuccess)}</td><td>${g.truncated}</td></tr>`
  )
  return `<table class="tokens"><thead><tr>${head.map((h, i) => `<th${i < 1 ? ' class="l"' : ""}>${h}</th>`).join("")}</tr></thead><tbody>${rows.join("\n")}</tbody></table>`
}

const headToHeadTable = (a: Analysis, baseline: string) => {
  const rows = headToHead(a, baseline)
  if (rows.length === 0) return ""
  const b = esc(baseline)
  return `<h2>Head to head against ${b}</h2><div class="card"><table><thead><tr><th>model</th><th class="l">language</th><th>${headToHeadPairsLabel(a.sweep.trials)}</th><th>success rate ${b} / language</th><th>tokens vs ${b}</th><th>cost vs ${b}</th></tr></thead><tbody>${rows
    .map(
      (h) =>
        `<tr><td>${esc(h.model)}</td><td class="l">${esc(h.language)}</td><td>${h.tasks}</td><td>${esc(`${fmtPct(h.baselineRate)} / ${fmtPct(h.rate)}`)}</td><td>${fmtRatio(h.tokenRatio)}</td><td>${fmtRatio(h.costRatio)}</td></tr>`
    )
    .join("")}</tbody></table><figcaption>${esc(headToHeadNote(a.sweep.trials, baseline))}</figcaption></div>`
}

/** The grid of every run, a part per task. */
function* grid(a: Analysis): Generator<string> {
  const combos = a.sweep.languages.flatMap((language) => a.sweep.models.map((model) => ({ language, model })))
  const head = `<tr><th>task</th>${combos.map((c) => `<th>${esc(c.language)}<br><span class="ci">${esc(c.model)}</span></th>`).join("")}</tr>`
  yield `<p class="legend"><span class="o-working">working</span><span class="o-partial">partial: ran, wrong output</span><span class="o-failed">failed: error or timeout</span><span class="o-error">error: model unreachable</span><span class="o-missing">not measured</span></p>
<table class="grid"><thead>${head}</thead><tbody>`
  for (const [i, task] of a.sweep.tasks.entries()) {
    const cells = combos.map((c) => {
      const r = a.cell(task, c.language, c.model)
      if (r === undefined) return `<td class="cell o-missing"><span>${NOT_MEASURED}</span></td>`
      const att = r.final_outcome === "working" ? r.attempts_to_success : r.attempts_total
      const label = `${r.final_outcome}${r.flaky === true ? " (flaky)" : ""}<br>${att} att · ${fmtInt(totalTokens(r))} tok`
      return `<td class="cell ${outcomeClass(r)}"><a href="#${runAnchor(r)}" title="${esc(`${task} / ${c.language} / ${c.model}`)}">${label}</a></td>`
    })
    yield `${i === 0 ? "" : "\n"}<tr><td>${esc(task)}</td>${cells.join("")}</tr>`
  }
  yield `</tbody></table>`
}

const runDetails = (r: ResultRow, trials: number) => {
  const header = `${esc(r.task)} · ${esc(r.language)} · ${esc(r.model)}${trials > 1 ? ` · trial ${r.trial ?? 1}` : ""} — <span class="tag ${outcomeClass(r)}">${r.final_outcome}</span> after ${r.attempts_total} attempt(s), ${fmtInt(totalTokens(r))} tokens${typeof r.cost_usd === "number" ? `, ${fmtUsd(r.cost_usd)}` : ""}, ${fmtNum(r.wall_time_s, 2)}s`
  const facts = [
    `generation tokens ${fmtInt(r.generation_tokens)}`,
    `input tokens ${fmtInt(r.input_tokens)}`,
    `repair tokens by turn [${r.repair_tokens_by_turn.join(", ")}]`,
    ...(typeof r.input_cache_hit_tokens === "number" ? [`cache hits ${fmtInt(r.input_cache_hit_tokens)}`] : []),
    ...(truncatedAttempts(r) > 0 ? [`<b>${truncatedAttempts(r)} attempt(s) cut at max_tokens</b>`] : []),
    ...(r.reasoning_tokens !== undefined && r.reasoning_tokens !== 0
      ? [`thinking tokens ${r.reasoning_tokens === null ? "unknown" : fmtInt(r.reasoning_tokens)}${(r.thinking_unknown_attempts ?? 0) > 0 ? ` (unknown in ${r.thinking_unknown_attempts} attempt(s))` : ""}`]
      : []),
    ...(r.code_tokens !== undefined ? [`code tokens ${r.code_tokens === null ? "unknown" : fmtInt(r.code_tokens)}`] : []),
    ...(r.served_models !== undefined && r.served_models.length > 0 ? [`served by ${r.served_models.map(esc).join(", ")}`] : []),
    ...(r.known_issue !== undefined ? [`<b>known interpreter issue:</b> ${esc(r.known_issue)}`] : []),
    ...(r.flaky === true ? [`<b>flaky</b>: the deciding program did not work on every --confirm run`] : []),
    ...((r.abandoned_requests ?? []).length > 0
      ? [`<b>${r.abandoned_requests!.length} request(s) abandoned after sending: billing unknown, not counted</b>`]
      : []),
    ...(r.api_error ? [`API error: ${esc(r.api_error.kind)}${r.api_error.status ? ` ${r.api_error.status}` : ""}: ${esc(r.api_error.message)}`] : [])
  ]
  const attempts = (r.attempts ?? []).map(
    (t) => `<div class="attempt"><b>Attempt ${t.attempt}</b> <span class="tag o-${t.outcome}">${t.outcome}</span>
<span class="ci">${fmtInt(t.input_tokens + (t.cache_read_tokens ?? 0) + (t.cache_write_tokens ?? 0))} in · ${fmtInt(t.output_tokens)} out${t.stop_reason ? ` · stop ${esc(t.stop_reason)}` : ""}${t.exit_code !== undefined ? ` · exit ${t.exit_code ?? "killed"}` : ""}${t.timed_out ? " · timed out" : ""}${t.reasoning_tokens === null ? " · thinking unknown" : t.reasoning_tokens ? ` · thinking ${fmtInt(t.reasoning_tokens)}` : ""}${t.served_model ? ` · served by ${esc(t.served_model)}` : ""}${t.confirmations && t.confirmations.runs > 1 ? ` · worked ${t.confirmations.working} of ${t.confirmations.runs} runs` : ""}</span>
<pre>${esc(t.program)}</pre>${t.dropped ? `<div class="ci">not run (dropped from the reply):</div><pre>${esc(t.dropped)}</pre>` : ""}${t.error_detail !== null ? `<div class="ci">sent back to the model:</div><pre>${esc(t.error_detail)}</pre>` : ""}</div>`
  )
  const body = attempts.length > 0 ? attempts.join("\n") : `<p class="ci">This file records totals only, not the attempts.</p>`
  return `<details class="run" id="${runAnchor(r)}"><summary>${header}</summary><div class="body"><p class="ci">${facts.join(" · ")}</p>${body}</div></details>`
}

const provenance = (a: Analysis) =>
  a.sweep.sources
    .map((s) => {
      const settings = s.settings.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")
      const skills = s.skills.map((m) => `<tr><td>${esc(m.module)}</td><td class="l">${esc(m.source)}</td><td class="l"><code>${esc(m.sha256.slice(0, 16))}</code></td><td>${fmtInt(m.bytes)}</td></tr>`).join("")
      const notes = s.notes.map((n) => `<li>${esc(n)}</li>`).join("")
      return `<div class="card"><h3>${esc(s.file)}</h3><p class="ci">${esc(s.format)} · generated ${esc(s.generated || "unknown")} · ${s.results.length} run(s)${s.complete ? "" : " · <b>unfinished</b>"}</p>
${settings ? `<dl class="config">${settings}</dl>` : ""}
${skills ? `<h3>Skill modules sent</h3><table><thead><tr><th>module</th><th class="l">source</th><th class="l">sha256</th><th>bytes</th></tr></thead><tbody>${skills}</tbody></table>` : ""}
${notes ? `<h3>Notes</h3><ul>${notes}</ul>` : ""}</div>`
    })
    .join("\n")

const counted = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`

/**
 * "runs: 2 tasks × 3 languages × 1 model", or with fewer runs than that grid "runs of 6: ...".
 * A partial benchmark's denominators are its plan's (53 tasks planned, 5 begun), not what finished.
 */
const runsLabel = (a: Analysis) => {
  const plan = a.sweep.plan
  const { tasks, languages, models, trials } = plan ?? { tasks: a.sweep.tasks.length, languages: a.sweep.languages.length, models: a.sweep.models.length, trials: a.sweep.trials }
  const grid = plan?.runs ?? tasks * languages * models * trials
  const factors = [counted(tasks, "task"), counted(languages, "language"), counted(models, "model"), ...(trials > 1 ? [counted(trials, "trial")] : [])]
  return `runs${a.sweep.results.length === grid ? "" : ` of ${grid}${plan ? " planned" : ""}`}: ${factors.join(" × ")}`
}

const kpis = (a: Analysis) => {
  const working = a.sweep.results.filter((r) => r.final_outcome === "working").length
  const costs = a.sweep.results.flatMap((r) => (typeof r.cost_usd === "number" ? [r.cost_usd] : []))
  const tokens = a.sweep.results.reduce((n, r) => n + totalTokens(r), 0)
  const items = [
    [`${a.sweep.results.length}`, runsLabel(a)],
    [`${working}`, "runs working"],
    [fmtInt(tokens), "tokens in all"],
    ...(costs.length === 0
      ? []
      : costs.length === a.sweep.results.length
        ? [[fmtUsd(costs.reduce((x, y) => x + y, 0)), "cost in all"]]
        : [[fmtUsd(costs.reduce((x, y) => x + y, 0)), `cost of the ${costs.length} priced runs (${a.sweep.results.length - costs.length} with no price)`]]),
    [
      String(a.sweep.retryCap),
      a.sweep.retryCapRecordedIn === a.sweep.sources.length
        ? "retry cap"
        : a.sweep.retryCapRecordedIn === 0
          ? "most attempts a run took (retry cap not recorded)"
          : "retry cap at most (not every file records it)"
    ]
  ]
  return `<div class="kpis">${items.map(([v, l]) => `<div class="kpi"><b>${esc(v!)}</b><span>${esc(l!)}</span></div>`).join("")}</div>`
}

/** The page in parts: the summary and charts, the grid a task at a time, each run's attempts, then the provenance. */
function* htmlPage(a: Analysis, charts: RenderedCharts, title: string, survival: SurvivalAnalysis, census: ReadonlyArray<CensusEntry>): Generator<string> {
  yield `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${esc(title)}</h1>
<p class="sub">${esc(a.sweep.sources.map((s) => s.generated.slice(0, 16).replace("T", " ")).filter((x) => x !== "").join(", "))} · models ${esc(a.sweep.models.join(", "))}</p>
${banners(a).map((b) => `<div class="banner">${esc(b)}</div>`).join("\n")}
${survivalSection(survival)}
${kpis(a)}
<h2>Summary</h2>
<div class="card">${summaryTable(a)}
<figcaption>Success rate = working / runs that reached the model (runs ending in "error" are left out); 95% Wilson interval in grey. Tokens = input + generation; "to success" counts runs that ended working.</figcaption></div>
<div class="card">${tokensTable(a)}<figcaption>Tokens a run spent to reach a working program, over the runs that got there; attempts cut at max_tokens count against the run.</figcaption></div>
<div class="card"><figure class="chart" id="chart-rates">${charts.rates}<figcaption>Success rate with its 95% interval.</figcaption></figure></div>
<h2>Success by attempt</h2>
<div class="card"><figure class="chart" id="chart-curve">${charts.curve}<figcaption>Share of runs working after at most k attempts. Where a curve flattens, more retries stop paying: that is the retry cap to choose.</figcaption></figure></div>
<h2>Tokens to success per task</h2>
<div class="card">${
    charts.tokens.length === 0
      ? `<p>${a.sweep.tasks.length} tasks: too many for a bar per task; see the grid and the JSON.</p>`
      : charts.tokens.map((t) => `<figure class="chart chart-tokens" id="chart-tokens-${anchorPart(t.model)}">${t.svg}</figure>`).join("\n")
  }<figcaption>Tokens (input + generation) a run spent to reach a working program${
    a.sweep.trials > 1 ? ", the mean over the trials that got there" : ""
  }; no point where it never got there. Hover a point for its exact value.</figcaption></div>
${headToHeadTable(a, survival.baseline)}
${censusHtml(census)}
<h2>Every run</h2>
<div class="card">`
  yield* grid(a)
  yield `<figcaption>Each cell links to that run's attempts below${
    a.sweep.trials > 1 ? `; with ${a.sweep.trials} trials, a cell is trial 1 and the summary covers every trial` : ""
  }.</figcaption></div>
<h2>Attempts</h2>
`
  for (const [i, r] of a.sweep.results.entries()) yield (i === 0 ? "" : "\n") + runDetails(r, a.sweep.trials)
  yield `
<h2>Configuration and provenance</h2>
${provenance(a)}
</main></body></html>
`
}

/**
 * The self-contained HTML report of a sweep: inline CSS and SVG charts, nothing fetched. In parts
 * (a grid row, a run's attempts), to be written once by `writeAtomically`: a report of many runs
 * is never one string.
 */
export const renderHtml = (
  sweep: Sweep,
  options: {
    readonly survival?: SurvivalAnalysis | undefined
    readonly census?: ReadonlyArray<CensusEntry> | undefined
    readonly baseline?: string | undefined
  } = {}
): Effect.Effect<Iterable<string>> =>
  Effect.sync(() => {
    const a = analyse(sweep)
    return htmlPage(a, renderCharts(a), sweepTitle(sweep), options.survival ?? sweepSurvival(sweep, options.baseline), options.census ?? sweepCensus(sweep))
  })
