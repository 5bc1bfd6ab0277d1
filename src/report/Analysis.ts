import { mean, median, wilsonInterval } from "./Stats.js"
import { runKey, type ResultRow, type Sweep } from "./Sweep.js"

/**
 * The numbers every report shows, computed once. Definitions (the README repeats them):
 * - a run "measured" is one that did not end in "error": an unreachable model says nothing about a language;
 * - success rate = working / measured, with a 95% Wilson interval;
 * - tokens = input + generation tokens of the run; "to success" = over runs that ended working;
 * - the success-by-attempt curve at k = share of measured runs that were working after at most k attempts.
 */

export const totalTokens = (r: ResultRow) => r.input_tokens + r.generation_tokens

/** Attempts cut at max_tokens (or "length", as OpenAI-style providers say). */
export const truncatedAttempts = (r: ResultRow) =>
  r.truncated_attempts ?? (r.finish_reasons ?? []).filter((f) => f === "max_tokens" || f === "length").length

export interface GroupSummary {
  readonly language: string
  readonly model: string
  readonly runs: number
  readonly measured: number
  readonly errors: number
  readonly working: number
  readonly partial: number
  readonly failed: number
  readonly rate: number | undefined
  readonly interval: { readonly low: number; readonly high: number }
  readonly meanTokensToSuccess: number | undefined
  readonly medianTokensToSuccess: number | undefined
  readonly meanGenTokensToSuccess: number | undefined
  readonly meanAttemptsToSuccess: number | undefined
  /** Sum of cost_usd; undefined unless every run recorded one (a sum over some would pass for the whole). */
  readonly cost: number | undefined
  readonly costPerSuccess: number | undefined
  readonly meanWallTime: number | undefined
  readonly truncated: number
  /** Working runs whose program did not work on every --confirm run. */
  readonly flaky: number
  /** Requests abandoned after sending: their billing is unknown, so the cost is a lower bound. */
  readonly abandoned: number
  /** curve[k - 1]: share working after at most k attempts. */
  readonly curve: ReadonlyArray<number>
}

export const summarise = (
  results: ReadonlyArray<ResultRow>,
  language: string,
  model: string,
  retryCap: number
): GroupSummary => {
  const runs = results.filter((r) => r.language === language && r.model === model)
  const measured = runs.filter((r) => r.final_outcome !== "error")
  const working = measured.filter((r) => r.final_outcome === "working")
  const costs = runs.flatMap((r) => (typeof r.cost_usd === "number" ? [r.cost_usd] : []))
  const cost = costs.length > 0 && costs.length === runs.length ? costs.reduce((a, b) => a + b, 0) : undefined
  const curve = Array.from({ length: retryCap }, (_, i) =>
    measured.length === 0
      ? 0
      : working.filter((r) => (r.attempts_to_success ?? Infinity) <= i + 1).length / measured.length
  )
  return {
    language,
    model,
    runs: runs.length,
    measured: measured.length,
    errors: runs.length - measured.length,
    working: working.length,
    flaky: working.filter((r) => r.flaky === true).length,
    abandoned: runs.reduce((n, r) => n + (r.abandoned_requests ?? []).length, 0),
    partial: measured.filter((r) => r.final_outcome === "partial").length,
    failed: measured.filter((r) => r.final_outcome === "failed").length,
    rate: measured.length === 0 ? undefined : working.length / measured.length,
    interval: wilsonInterval(working.length, measured.length),
    meanTokensToSuccess: mean(working.map(totalTokens)),
    medianTokensToSuccess: median(working.map(totalTokens)),
    meanGenTokensToSuccess: mean(working.map((r) => r.generation_tokens)),
    meanAttemptsToSuccess: mean(working.flatMap((r) => (r.attempts_to_success === null ? [] : [r.attempts_to_success]))),
    cost,
    costPerSuccess: cost !== undefined && working.length > 0 ? cost / working.length : undefined,
    // Over the measured runs, as the rate and the tokens are: an "error" run's instant end would pull it down.
    meanWallTime: mean(measured.map((r) => r.wall_time_s)),
    truncated: runs.reduce((n, r) => n + truncatedAttempts(r), 0),
    curve
  }
}

export interface Analysis {
  readonly sweep: Sweep
  readonly groups: ReadonlyArray<GroupSummary>
  /** One run: trial 1 unless told. */
  readonly cell: (task: string, language: string, model: string, trial?: number) => ResultRow | undefined
  /** Every trial's run of one task, language and model. */
  readonly trialsOf: (task: string, language: string, model: string) => ReadonlyArray<ResultRow>
  /** (task, language, model, trial) runs missing, when the sweep has more than one. */
  readonly missing: number
  readonly partial: boolean
  readonly truncated: number
}

export const analyse = (sweep: Sweep): Analysis => {
  const index = new Map(sweep.results.map((r) => [runKey(r), r]))
  const groups = sweep.languages.flatMap((language) =>
    sweep.models.map((model) => summarise(sweep.results, language, model, sweep.retryCap))
  )
  const missing = sweep.tasks.length * sweep.languages.length * sweep.models.length * sweep.trials - index.size
  const cell = (task: string, language: string, model: string, trial = 1) => index.get(runKey({ task, language, model, trial }))
  const trials = Array.from({ length: sweep.trials }, (_, i) => i + 1)
  return {
    sweep,
    groups: groups.filter((g) => g.runs > 0),
    cell,
    trialsOf: (task, language, model) => trials.flatMap((t) => cell(task, language, model, t) ?? []),
    missing,
    partial: missing > 0 || sweep.sources.some((s) => !s.complete) || (sweep.shardProblems ?? []).length > 0,
    truncated: sweep.results.reduce((n, r) => n + truncatedAttempts(r), 0)
  }
}

/** Banners a reader must see before any number: why the numbers may mislead. */
export const banners = (a: Analysis): ReadonlyArray<string> => {
  // Shards missing or mixed say so first: the other numbers are of part of a benchmark.
  const out: Array<string> = [...(a.sweep.shardProblems ?? [])]
  const unfinishedSources = a.sweep.sources.filter((s) => !s.complete)
  const unfinished = unfinishedSources.map((s) => s.file)
  // What a checkpoint planned and lacks counts runs whose task, language or model no result shows.
  const plannedMissing = unfinishedSources.reduce((n, s) => n + (s.planned !== undefined ? Math.max(0, s.planned - s.results.length) : 0), 0)
  if (a.partial)
    out.push(
      `Partial sweep: ${
        plannedMissing > 0
          ? `${plannedMissing} planned run(s) have no result`
          : a.missing > 0
            ? `${a.missing} task x language x model${a.sweep.trials > 1 ? " x trial" : ""} cell(s) were not measured`
            : "some planned runs have no result"
      }${
        unfinished.length > 0 ? `; unfinished run(s): ${unfinished.join(", ")}` : ""
      }. Compare languages only on tasks measured in both.`
    )
  if (a.truncated > 0) {
    const runs = a.sweep.results.filter((r) => truncatedAttempts(r) > 0).length
    out.push(
      `${a.truncated} attempt(s) in ${runs} run(s) were cut at max_tokens: those attempts measure the cap, not the language.`
    )
  }
  return out
}
