import type { RunResult } from "../domain/Result.js"
import type { RunSpec } from "../loop/Plan.js"
import { attemptsCell, padLeft, padRight, pyFixed, pyFloat } from "./format.js"

/** The seed's header line. */
export const headerLine = (tasks: number, languages: number, models: number, retryCap: number, trials = 1) =>
  `Closed-loop bench: ${tasks} tasks × ${languages} languages × ${models} models${trials > 1 ? ` × ${trials} trials` : ""} = ${
    tasks * languages * models * trials
  } runs  (retry_cap=${retryCap})`

/**
 * Which run a line is about, in the banner's words: task, language and model, and the trial when
 * --trials runs each more than once (else two trials' lines would read the same).
 */
export const runIdentity = (r: { readonly task: string; readonly language: string; readonly model: string; readonly trial?: number | undefined }, trials: number) =>
  `task=${r.task} lang=${r.language} model=${r.model}${trials > 1 ? ` trial=${r.trial ?? 1}` : ""}`

export const specIdentity = (spec: RunSpec, trials: number) =>
  runIdentity({ task: spec.task.id, language: spec.language.name, model: spec.model.key, trial: spec.trial }, trials)

/** The seed's stderr line before a run, with the trial when there are several. */
export const runBanner = (spec: RunSpec, total: number, trials = 1) => `\n[${spec.index + 1}/${total}] ${specIdentity(spec, trials)}`

/**
 * The seed's stdout line after a run, with the run named at its end: runs of several languages,
 * models or trials otherwise print lines nothing tells apart. What the seed prints comes first.
 */
export const runLine = (r: RunResult, trials = 1) =>
  `  -> outcome=${r.final_outcome} gen_tokens=${r.generation_tokens} wall=${pyFloat(r.wall_time_s)}s ${runIdentity(r, trials)}`

/** A heading and the files written under it, labels lined up as the seed's ("  JSON: ...", "  MD:   ..."). */
export const writtenBlock = (heading: string, files: ReadonlyArray<readonly [label: string, file: string | undefined]>) =>
  [heading, ...files.flatMap(([label, file]) => (file === undefined ? [] : [`  ${`${label}:`.padEnd(5)} ${file}`]))].join("\n")

export const pathsBlock = (paths: { readonly json: string; readonly md: string; readonly html?: string | undefined }) =>
  `\n${writtenBlock("Results written:", [["JSON", paths.json], ["MD", paths.md], ["HTML", paths.html]])}`

/**
 * The seed's closing table and count; with trials, each task names its trial ("fib #2"). Columns
 * are the seed's widths, widened to their longest cell (a long task id, `javascript`) so they stay
 * lined up; the seed's own table, whose cells fit its widths, comes out unchanged.
 */
export const summaryTable = (results: ReadonlyArray<RunResult>, planned: number, trials = 1) => {
  const rows = results.map((r) => [
    trials > 1 ? `${r.task} #${r.trial}` : r.task,
    r.language,
    r.model,
    String(r.generation_tokens),
    attemptsCell(r.attempts_to_success),
    r.final_outcome,
    `${padLeft(pyFixed(r.wall_time_s, 1), 5)}s`
  ])
  const columns = [
    { title: "task", width: 22, pad: padRight },
    { title: "lang", width: 6, pad: padRight },
    { title: "model", width: 6, pad: padRight },
    { title: "gen_tok", width: 7, pad: padLeft },
    { title: "attempts", width: 8, pad: padLeft },
    { title: "outcome", width: 8, pad: padRight },
    { title: "time", width: 6, pad: padLeft }
  ].map((c, i) => ({ ...c, width: Math.max(c.width, ...rows.map((row) => row[i]!.length)) }))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => columns[i]!.pad(cell, columns[i]!.width)).join(" ")
  const width = columns.reduce((sum, c) => sum + c.width + 1, -1)
  const lines = ["\nSummary:", line(columns.map((c) => c.title)), "-".repeat(Math.max(75, width)), ...rows.map(line)]
  const working = results.filter((r) => r.final_outcome === "working").length
  // The seed's line; a run stopped by --max-cost also says how many of the planned never started.
  const notStarted = planned - results.length
  lines.push(`\n${working}/${planned} runs succeeded${notStarted > 0 ? ` (${notStarted} not started)` : ""}.`)
  // Said only when it happened, so that the seed's lines stay the seed's otherwise.
  const flaky = results.filter((r) => r.flaky)
  if (flaky.length > 0)
    lines.push(`${flaky.length} of them flaky (--confirm): ${flaky.map((r) => `${r.task}${trials > 1 ? ` #${r.trial}` : ""}/${r.language}/${r.model}`).join(", ")}.`)
  const abandoned = results.reduce((n, r) => n + (r.abandoned_requests ?? []).length, 0)
  if (abandoned > 0)
    lines.push(`${abandoned} model request(s) abandoned after sending (timeout, lost connection): billing unknown, not in the tokens or cost.`)
  return lines.join("\n")
}
