import type { RunResult } from "../domain/Result.js"
import type { SkillModule } from "../services/SkillDocs.js"
import { apiFailureCause } from "./format.js"

// What a reader must know to trust the numbers: only what actually happened in this run.

/** Known before any run: languages not run, skill modules not found. */
export const startNotes = (
  /** Languages asked for but not run, with why. */
  skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>,
  skills: ReadonlyArray<Omit<SkillModule, "text">>
): ReadonlyArray<string> => {
  const notes = skipped.map((s) => `${s.name} was not run: ${s.reason}.`)
  const placeholders = skills.filter((s) => s.source === "placeholder").map((s) => s.module)
  if (placeholders.length > 0)
    notes.push(`Skill modules not found, a placeholder was sent instead: ${placeholders.join(", ")}.`)
  return notes
}

/** From the results alone, so that a report of a checkpoint says them as the run's own report did. */
const distinctPairs = (runs: ReadonlyArray<RunResult>) => [...new Set(runs.map((r) => `${r.task} on ${r.language}`))].join(", ")

export const resultNotes = (results: ReadonlyArray<RunResult>, maxTokens: number): ReadonlyArray<string> => {
  const notes: Array<string> = []
  const errors = results.filter((r) => r.final_outcome === "error")
  if (errors.length > 0)
    notes.push(
      `${errors.length} run(s) ended in "error": the model API gave no reply (429s, 5xx and timeouts were retried first, refusals such as 400 and 401 were not); they say nothing about the language (${errors
        .map((r) => `${r.task}/${r.language}/${r.model}${r.api_error ? `: ${apiFailureCause(r.api_error)}` : ""}`)
        .join(", ")}).`
    )
  const truncated = results.filter((r) => r.truncated_attempts > 0)
  if (truncated.length > 0)
    notes.push(
      `${truncated.reduce((n, r) => n + r.truncated_attempts, 0)} attempt(s) in ${truncated.length} run(s) were cut at max_tokens (${maxTokens}): they measure the cap, not the language.`
    )
  const unfenced = results.reduce((n, r) => n + r.attempts.filter((a) => a.unfenced).length, 0)
  if (unfenced > 0) notes.push(`${unfenced} reply(ies) came wrapped in a Markdown code fence and were unwrapped before running.`)
  const known = results.filter((r) => r.known_issue !== undefined)
  if (known.length > 0)
    notes.push(
      `${known.length} run(s) are of a task with a known interpreter issue for their language (${distinctPairs(known)}): a correct program can fail there, so those results measure the interpreter too (see the per-task details).`
    )
  return notes
}
