import type { RunResult } from "../domain/Result.js"
import { attemptFigures } from "../domain/WholeRun.js"
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
  // The harness's own failures (a program it could not run) are errors too, but not the model API's.
  const harnessErrors = results.filter((r) => r.final_outcome === "error" && r.api_error?.kind === "harness")
  const errors = results.filter((r) => r.final_outcome === "error" && r.api_error?.kind !== "harness")
  if (harnessErrors.length > 0)
    notes.push(
      `${harnessErrors.length} run(s) ended in "error" because the harness could not run their program (a spawn error, a scratch directory gone, a program host that died twice); no attempt was scored there, and they say nothing about the language (${harnessErrors
        .map((r) => `${r.task}/${r.language}/${r.model}: ${r.api_error?.message ?? "harness"}`)
        .join(", ")}).`
    )
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
  // Counted from each run's figures: a run held on disk answers from memory, its line read for none of the notes.
  const figures = results.map(attemptFigures)
  const unfenced = figures.reduce((n, f) => n + f.unfenced, 0)
  if (unfenced > 0) notes.push(`${unfenced} reply(ies) came wrapped in a Markdown code fence and were unwrapped before running.`)
  const known = results.filter((r) => r.known_issue !== undefined)
  if (known.length > 0)
    notes.push(
      `${known.length} run(s) are of a task with a known interpreter issue for their language (${distinctPairs(known)}): a correct program can fail there, so those results measure the interpreter too (see the per-task details).`
    )
  const chatty = figures.reduce((n, f) => n + f.chatty, 0)
  if (chatty > 0)
    notes.push(
      `${chatty} reply(ies) held more than one program's worth of text (prose, or several fenced blocks): one block was run (the one tagged with the language, else the first) and the rest dropped; each attempt records what.`
    )
  notes.push(...flakyNotes(results), ...abandonedNotes(results))
  const unknownReasoning = results.filter((r, i) => r.final_outcome !== "error" && figures[i]!.attempts > 0 && r.reasoning_tokens === null)
  if (unknownReasoning.length > 0)
    notes.push(
      `Reasoning tokens are unknown for ${unknownReasoning.length} run(s): the provider reported no split of its output tokens (they are counted in generation tokens, not as 0 reasoning).`
    )
  return notes
}

const runName = (r: RunResult) => `${r.task}/${r.language}/${r.model}${r.trial > 1 ? ` trial ${r.trial}` : ""}`

/** With --confirm N: runs whose deciding program did not work on every run, counted and named apart. */
export const flakyNotes = (results: ReadonlyArray<RunResult>): ReadonlyArray<string> => {
  const flaky = results.filter((r) => r.flaky)
  if (flaky.length === 0) return []
  const detail = flaky.map((r) => {
    const c = r.attempts.at(-1)?.confirmations
    return `${runName(r)}: ${c ? `${c.working} of ${c.runs}` : "not all"} runs working`
  })
  return [
    `${flaky.length} flaky run(s): the program that decided the run did not work on every one of its --confirm runs; the outcome is still the first run's, as the seed decided it (${detail.join(", ")}).`
  ]
}

/** Requests given up on after sending: their billing is unknown, and no count below includes them. */
export const abandonedNotes = (results: ReadonlyArray<RunResult>): ReadonlyArray<string> => {
  const runs = results.filter((r) => (r.abandoned_requests ?? []).length > 0)
  if (runs.length === 0) return []
  const requests = runs.flatMap((r) => r.abandoned_requests)
  const chars = requests.reduce((n, a) => n + a.prompt_chars, 0)
  return [
    `Billing unknown: ${requests.length} model request(s) in ${runs.length} run(s) were abandoned after sending their prompt (${requests.filter((a) => a.reason === "timeout").length} timed out, ${requests.filter((a) => a.reason === "connection").length} lost the connection; ${chars.toLocaleString("en-US")} prompt characters in all). A provider may have read and billed them; their tokens and cost are not in any count or cost here, which are lower bounds for these runs (${runs.map(runName).join(", ")}).`
  ]
}

/**
 * Requests the checkpoint says were sent (an "asked" line) but whose reply was never recorded: an
 * interrupt, a crash or a kill caught them in flight. The provider may have billed them.
 */
export const unansweredNotes = (requests: number): ReadonlyArray<string> =>
  requests === 0
    ? []
    : [
        `Billing unknown: ${requests} model request(s) were sent but interrupted before their reply was recorded (Ctrl-C, a crash or a kill); the provider may have billed them, and their tokens and cost are not in these totals.`
      ]
