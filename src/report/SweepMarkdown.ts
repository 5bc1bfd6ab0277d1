import { analyse, banners, totalTokens, type Analysis } from "./Analysis.js"
import type { ResultRow, Sweep } from "./Sweep.js"
import { attemptFigures } from "../domain/WholeRun.js"
import { dollars, groupDigits, mdTable, mdText, percentShort } from "./format.js"
import { survivalAnalysis, type SurvivalAnalysis } from "./Survival.js"
import { ratioFigure, verdictMarkdown } from "./Verdict.js"
import { censusEntries, censusMarkdown } from "./Census.js"
import { countTokens, TOKENIZERS } from "../services/Tokenizers.js"

export const fmtInt = (n: number | undefined) => (n === undefined ? "–" : groupDigits(Math.round(n)))
export const fmtPct = (x: number | undefined) => (x === undefined ? "–" : percentShort(x))
export const fmtUsd = (x: number | undefined) =>
  x === undefined ? "–" : dollars(x, Math.abs(x) >= 1 ? 2 : Math.abs(x) >= 0.01 ? 3 : 4)
export const fmtNum = (x: number | undefined, digits = 1) => (x === undefined ? "–" : x.toFixed(digits))
export const fmtSeconds = (x: number | undefined) => (x === undefined ? "–" : `${x.toFixed(1)}s`)
export const fmtRatio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : `${ratioFigure(x)}×`)

export const NOT_MEASURED = "not measured"

/** One run in a cell: outcome, attempts, tokens and (when recorded) cost. */
export const cellText = (r: ResultRow | undefined) => {
  if (r === undefined) return `_${NOT_MEASURED}_`
  const attempts = r.final_outcome === "working" ? `${r.attempts_to_success} att` : `${r.attempts_total} att`
  const cost = typeof r.cost_usd === "number" ? `, ${fmtUsd(r.cost_usd)}` : ""
  return `${r.final_outcome}${r.flaky === true ? " (flaky)" : ""}, ${attempts}, ${fmtInt(totalTokens(r))} tok${cost}`
}

export interface HeadToHead {
  readonly model: string
  readonly language: string
  /** Tasks (with trials: task x trial pairs) where both the baseline and the language worked. */
  readonly tasks: number
  /** Tokens of the language over the baseline's, summed over those tasks. */
  readonly tokenRatio: number | undefined
  readonly costRatio: number | undefined
  readonly baselineRate: number | undefined
  readonly rate: number | undefined
}

/** The head-to-head column that counts the pairs compared. */
export const headToHeadPairsLabel = (trials: number) => (trials > 1 ? "task trials both working" : "tasks both working")

/** What the head-to-head ratios mean, under the table in every report. */
export const headToHeadNote = (trials: number, baseline: string) =>
  `On tasks${trials > 1 ? " (and trials)" : ""} both languages got working: the language's tokens (and cost) over ${baseline}'s; above 1× means ${baseline} was cheaper. ` +
  "Tokens count cache reads in full, as the seed did; cost weighs each kind of token at its list price, so with a prompt cache the two ratios differ."

/**
 * Each language against the baseline, per model, on the tasks (and trials) both got working: over 1
 * means the baseline was cheaper. `baseline` is the verdict's (its SurvivalAnalysis's), so the two agree.
 */
export const headToHead = (a: Analysis, baseline: string): ReadonlyArray<HeadToHead> => {
  const { sweep } = a
  if (!sweep.languages.includes(baseline)) return []
  const ran = (language: string, model: string) => a.groups.some((g) => g.language === language && g.model === model)
  return sweep.models.flatMap((model) =>
    sweep.languages
      .filter((l) => l !== baseline && ran(baseline, model) && ran(l, model))
      .map((language) => {
        const pairs = sweep.tasks.flatMap((task) =>
          a.trialsOf(task, baseline, model).flatMap((base) => {
            const other = a.cell(task, language, model, base.trial ?? 1)
            return base.final_outcome === "working" && other?.final_outcome === "working" ? [[base, other] as const] : []
          })
        )
        const sum = (f: (r: ResultRow) => number) => (rows: ReadonlyArray<ResultRow>) => rows.reduce((n, r) => n + f(r), 0)
        const tokens = sum(totalTokens)
        // Over every pair or none: a ratio over the priced pairs alone would stand under the count of all.
        const priced = pairs.length > 0 && pairs.every(([i, o]) => typeof i.cost_usd === "number" && typeof o.cost_usd === "number")
        const cost = sum((r) => r.cost_usd ?? 0)
        const group = (l: string) => a.groups.find((g) => g.language === l && g.model === model)
        return {
          model,
          language,
          tasks: pairs.length,
          tokenRatio: pairs.length > 0 ? tokens(pairs.map((p) => p[1])) / tokens(pairs.map((p) => p[0])) : undefined,
          costRatio: priced ? cost(pairs.map((p) => p[1])) / cost(pairs.map((p) => p[0])) : undefined,
          baselineRate: group(baseline)?.rate,
          rate: group(language)?.rate
        }
      })
  )
}

/** The settings that change what the numbers mean, shown beside each source (the HTML shows them all). */
const SOURCE_SETTINGS = ["ticket", "leg", "cache_mode", "prompt_layout", "prompt_cache"]


/** The retry cap as the files say it: the seed's format does not record one. */
export const retryCapText = (sweep: Sweep) =>
  sweep.retryCapRecordedIn === sweep.sources.length
    ? String(sweep.retryCap)
    : sweep.retryCapRecordedIn === 0
      ? `not recorded (the seed's format does not say); the runs took at most ${sweep.retryCap} attempt(s)`
      : `${sweep.retryCap} at most, recorded in ${sweep.retryCapRecordedIn} of ${sweep.sources.length} files (the seed's format does not say)`

/** The title of a sweep's reports, Markdown and HTML. */
export const sweepTitle = (sweep: Sweep) => `Closed-loop benchmark: ${sweep.languages.join(" vs ") || "no runs"}`

/** The head to head against the baseline as a Markdown section (none without the baseline and another language). */
export const headToHeadMarkdown = (a: Analysis, baseline: string): ReadonlyArray<string> => {
  const h2h = headToHead(a, baseline)
  if (h2h.length === 0) return []
  return [
    `## Head to head against ${mdText(baseline)}`,
    "",
    headToHeadNote(a.sweep.trials, mdText(baseline)),
    "",
    ...mdTable(
      ["model", "language", headToHeadPairsLabel(a.sweep.trials), `success rate ${baseline} / language`, `tokens vs ${baseline}`, `cost vs ${baseline}`],
      h2h.map((h) => [h.model, h.language, String(h.tasks), `${fmtPct(h.baselineRate)} / ${fmtPct(h.rate)}`, fmtRatio(h.tokenRatio), fmtRatio(h.costRatio)])
    ),
    ""
  ]
}

/** The re-rendered Markdown report of a sweep: banners, summary, curve, head-to-head, per-task tables, provenance. */
/** The token census of a sweep: documentation tokens from the files that recorded them (the later file's first). */
export const sweepCensus = (sweep: Sweep) =>
  censusEntries(sweep.results.map(withProgramTokens), new Map(sweep.sources.flatMap((s) => [...(s.docTokens ?? new Map())])), sweep)

/** Whether an attempt has a count under every offline tokenizer. */
const countedOffline = (a: { readonly program_tokens?: Readonly<Record<string, number | null>> | undefined }) =>
  a.program_tokens !== undefined && TOKENIZERS.every((k) => a.program_tokens?.[k] !== undefined)

/**
 * A run from a file written before programs were counted, or before a tokenizer was added: the
 * offline counts it lacks are made now (what it has, an endpoint's count included, is kept).
 */
const withProgramTokens = (r: ResultRow): ResultRow => {
  // Known from the run's figures (a run held on disk reads no line for it): every attempt has each offline tokenizer.
  const f = attemptFigures(r)
  if (f.attempts === 0 || TOKENIZERS.every((k) => f.programTokens.some((t) => t.tokenizer === k && t.present === f.attempts))) return r
  if (r.attempts === undefined || r.attempts.every(countedOffline)) return r
  const attempts = r.attempts.map((a) => (countedOffline(a) ? a : { ...a, program_tokens: { ...countTokens(a.program), ...a.program_tokens } }))
  return { ...r, attempts, final_program_tokens: attempts.at(-1)?.program_tokens ?? r.final_program_tokens }
}

/** The verdict's figures of a sweep, every trial counted; `baseline` defaults to ilo. */
export const sweepSurvival = (sweep: Sweep, baseline?: string): SurvivalAnalysis =>
  survivalAnalysis(sweep.results, { baseline, languages: sweep.languages, models: sweep.models })

export const renderSweepMarkdown = (sweep: Sweep, options: { readonly survival?: SurvivalAnalysis | undefined; readonly baseline?: string | undefined } = {}): string => {
  const a = analyse(sweep)
  const lines: Array<string> = [`# ${mdText(sweepTitle(sweep))}`, ""]
  for (const b of banners(a)) lines.push(`> **${mdText(b)}**`, "")
  lines.push(`Models: ${sweep.models.map(mdText).join(", ")}  `, `Tasks: ${sweep.plan && sweep.plan.tasks !== sweep.tasks.length ? `${sweep.tasks.length} with results, of ${sweep.plan.tasks} planned (${sweep.results.length} of ${sweep.plan.runs} runs)` : sweep.tasks.length}  `)
  if (sweep.trials > 1) lines.push(`Trials: ${sweep.trials} of each task x language x model; the summary, head to head and cost cover every trial  `)
  lines.push(`Retry cap: ${retryCapText(sweep)}`, "")

  const survival = options.survival ?? sweepSurvival(sweep, options.baseline)
  lines.push(...verdictMarkdown(survival))

  lines.push("## Summary", "")
  lines.push(
    ...mdTable(
      ["language", "model", "runs", "working", "success rate (95% CI)", "mean tokens to success", "median tokens to success", "mean attempts to success", "cost", "cost per success", "mean wall time"],
      a.groups.map((g) => [
        g.language,
        g.model,
        String(g.measured) + (g.errors > 0 ? ` (+${g.errors} error)` : ""),
        String(g.working),
        `${fmtPct(g.rate)} (${fmtPct(g.interval.low)}–${fmtPct(g.interval.high)})`,
        fmtInt(g.meanTokensToSuccess),
        fmtInt(g.medianTokensToSuccess),
        fmtNum(g.meanAttemptsToSuccess, 2),
        fmtUsd(g.cost),
        fmtUsd(g.costPerSuccess),
        fmtSeconds(g.meanWallTime)
      ])
    ),
    ""
  )

  lines.push(
    "## Success by attempt",
    "",
    "Share of runs working after at most k attempts: where the curve flattens, more retries stop paying." +
      (sweep.retryCapRecordedIn === sweep.sources.length ? "" : ` Not every file records its cap: the table goes to ${sweep.retryCap}.`),
    ""
  )
  const ks = Array.from({ length: sweep.retryCap }, (_, i) => i + 1)
  lines.push(...mdTable(["language", "model", ...ks.map((k) => `k=${k}`)], a.groups.map((g) => [g.language, g.model, ...g.curve.map(fmtPct)])), "")

  lines.push(...censusMarkdown(sweepCensus(sweep)))

  lines.push(...headToHeadMarkdown(a, survival.baseline))

  lines.push(
    "## Per task",
    "",
    `Each cell: outcome, attempts, tokens (input + generation), cost when recorded${sweep.trials > 1 ? `; of trial 1 (of ${sweep.trials}). The cost row covers every trial` : ""}.`,
    ""
  )
  for (const model of sweep.models) {
    lines.push(`### ${mdText(model)}`, "")
    const rows = sweep.tasks.map((task) => [task, ...sweep.languages.map((l) => cellText(a.cell(task, l, model)))])
    const costRow = sweep.languages.map((l) => {
      const g = a.groups.find((x) => x.language === l && x.model === model)
      return `**${fmtUsd(g?.cost)}**`
    })
    if (a.groups.some((g) => g.model === model && g.cost !== undefined)) rows.push(["**cost**", ...costRow])
    lines.push(...mdTable(["task", ...sweep.languages], rows), "")
  }

  lines.push("## Sources", "")
  for (const s of sweep.sources) {
    const settings = s.settings.filter(([k]) => SOURCE_SETTINGS.includes(k)).map(([k, v]) => `${k} ${v}`)
    lines.push(
      `- ${mdText(
        `${s.file}: ${s.format}, generated ${s.generated || "unknown"}, ${s.results.length} run(s)${s.complete ? "" : ", unfinished"}${
          settings.length > 0 ? `; ${settings.join(", ")}` : ""
        }`
      )}`
    )
  }
  if (sweep.replaced > 0) lines.push(`- ${sweep.replaced} run(s) appeared in more than one file; the later file's run is shown.`)
  const notes = sweep.sources.flatMap((s) => s.notes)
  if (notes.length > 0) lines.push("", "## Notes", "", ...notes.map((n) => `- ${mdText(n)}`))
  lines.push("")
  return lines.join("\n")
}
