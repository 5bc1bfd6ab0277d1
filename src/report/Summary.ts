import type { RunResult } from "../domain/Result.js"
import type { RunSpec } from "../loop/Plan.js"
import { attemptsCell, padLeft, padRight, pyFixed, pyFloat } from "./format.js"

/** The seed's header line. */
export const headerLine = (tasks: number, languages: number, models: number, retryCap: number, trials = 1) =>
  `Closed-loop bench: ${tasks} tasks × ${languages} languages × ${models} models${trials > 1 ? ` × ${trials} trials` : ""} = ${
    tasks * languages * models * trials
  } runs  (retry_cap=${retryCap})`

/** The seed's stderr line before a run. */
export const runBanner = (spec: RunSpec, total: number) =>
  `\n[${spec.index + 1}/${total}] task=${spec.task.id} lang=${spec.language.name} model=${spec.model.key}`

/** The seed's stdout line after a run. */
export const runLine = (r: RunResult) =>
  `  -> outcome=${r.final_outcome} gen_tokens=${r.generation_tokens} wall=${pyFloat(r.wall_time_s)}s`

/** A heading and the files written under it, labels lined up as the seed's ("  JSON: ...", "  MD:   ..."). */
export const writtenBlock = (heading: string, files: ReadonlyArray<readonly [label: string, file: string | undefined]>) =>
  [heading, ...files.flatMap(([label, file]) => (file === undefined ? [] : [`  ${`${label}:`.padEnd(5)} ${file}`]))].join("\n")

export const pathsBlock = (paths: { readonly json: string; readonly md: string; readonly html?: string | undefined }) =>
  `\n${writtenBlock("Results written:", [["JSON", paths.json], ["MD", paths.md], ["HTML", paths.html]])}`

/** The seed's closing table and count; with trials, each task names its trial ("fib #2"). */
export const summaryTable = (results: ReadonlyArray<RunResult>, planned: number, trials = 1) => {
  const lines = [
    "\nSummary:",
    `${padRight("task", 22)} ${padRight("lang", 6)} ${padRight("model", 6)} ${padLeft("gen_tok", 7)} ${padLeft("attempts", 8)} ${padRight("outcome", 8)} ${padLeft("time", 6)}`,
    "-".repeat(75)
  ]
  for (const r of results) {
    lines.push(
      `${padRight(trials > 1 ? `${r.task} #${r.trial}` : r.task, 22)} ${padRight(r.language, 6)} ${padRight(r.model, 6)} ` +
        `${padLeft(String(r.generation_tokens), 7)} ${padLeft(attemptsCell(r.attempts_to_success), 8)} ${padRight(r.final_outcome, 8)} ` +
        `${padLeft(pyFixed(r.wall_time_s, 1), 5)}s`
    )
  }
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
