import { Effect, Either, Schema } from "effect"
import { ReportFile } from "../domain/ReportFile.js"
import { firstIssue } from "../domain/schemaIssue.js"
import { distinct } from "./format.js"
import { readText } from "../platform/readText.js"
import { decodeResults, readCheckpointSource, type ResultRow, type Source } from "./Sweep.js"

/**
 * What `ilo-bench validate` says of one results file: whether it decodes at all (an error), and which
 * of its numbers should not be published as they stand (problems, one line each).
 */
export type Validation =
  | { readonly _tag: "Undecodable"; readonly error: string }
  | { readonly _tag: "Decoded"; readonly format: string; readonly runs: number; readonly problems: ReadonlyArray<string> }

const TRUNCATED = new Set(["max_tokens", "length"])

/** Attempts cut at the token cap, by whichever record the file kept. */
const cutAttempts = (r: ResultRow) =>
  Math.max(
    r.truncated_attempts ?? 0,
    (r.finish_reasons ?? []).filter((f) => f !== null && TRUNCATED.has(f)).length,
    (r.attempts ?? []).filter((a) => a.stop_reason != null && TRUNCATED.has(a.stop_reason)).length
  )

const runName = (r: ResultRow) => `${r.task}/${r.model}${r.trial !== undefined && r.trial > 1 ? `#${r.trial}` : ""}`

const listed = (runs: ReadonlyArray<ResultRow>) => {
  const names = runs.map(runName)
  return names.length > 5 ? `${names.slice(0, 5).join(", ")} and ${names.length - 5} more` : names.join(", ")
}

const byLanguage = (runs: ReadonlyArray<ResultRow>) =>
  distinct(runs.map((r) => r.language)).map((language) => [language, runs.filter((r) => r.language === language)] as const)

/** The four ways a file's numbers mislead, each checked on what the file itself records. */
const problemsOf = (source: Source, raw: unknown): Array<string> => {
  const problems: Array<string> = []
  const results = source.results

  // Runs that failed after an attempt was cut at max_tokens: the cap failed them, not the language.
  const cut = results.filter((r) => (r.final_outcome === "failed" || r.final_outcome === "partial") && cutAttempts(r) > 0)
  for (const [language, runs] of byLanguage(cut))
    problems.push(
      `${runs.length} run(s) counted as ${language}'s failures had attempts cut at max_tokens${source.maxTokens !== undefined ? ` (${source.maxTokens})` : ""}: they measure the token cap, not the language (${listed(runs)})`
    )

  // Costs: a run priced although some of its attempts were not, or a zero cost for tokens spent.
  const partlyPriced = results.filter((r) => typeof r.cost_usd === "number" && (r.attempts ?? []).some((a) => a.cost_usd === null))
  if (partlyPriced.length > 0)
    problems.push(`${partlyPriced.length} run(s) have a cost although some of their attempts are unpriced: the unpriced ones were summed as $0 (${listed(partlyPriced)})`)
  const free = results.filter((r) => r.cost_usd === 0 && r.generation_tokens + r.input_tokens > 0)
  if (free.length > 0)
    problems.push(`${free.length} run(s) cost $0 for the tokens they used: an unpriced model summed as $0 (${listed(free)})`)

  // Thinking or reasoning tokens: a total that counts attempts whose split is unknown as 0.
  const unknownAsZero = results.filter((r) => {
    const unknownAttempts = Math.max(r.thinking_unknown_attempts ?? 0, (r.attempts ?? []).filter((a) => a.reasoning_tokens === null).length)
    return unknownAttempts > 0 && (typeof r.reasoning_tokens === "number" || typeof r.code_tokens === "number")
  })
  if (unknownAsZero.length > 0)
    problems.push(
      `${unknownAsZero.length} run(s) give a thinking (or code) token total although some attempts' thinking is unknown: those attempts were counted as 0 (${listed(unknownAsZero)})`
    )
  const config = (raw as { config?: { thinking_budget?: unknown } }).config
  if (typeof config?.thinking_budget === "number") {
    const rawResults = ((raw as { results?: ReadonlyArray<{ attempts?: ReadonlyArray<Record<string, unknown>> }> }).results ?? [])
    const unrecorded = rawResults.filter((r) => (r.attempts ?? []).some((a) => !("reasoning_tokens" in a))).length
    if (unrecorded > 0)
      problems.push(`${unrecorded} run(s) used extended thinking but do not record their attempts' thinking tokens: read as 0, they are unknown`)
  }

  // The plan: runs it planned that the file lacks, or task x language x model cells with no run.
  if (source.planned !== undefined && results.length < source.planned)
    problems.push(`the plan had ${source.planned} runs and the file has ${results.length}: rates over it are of a benchmark that did not finish`)
  else if (!source.complete) problems.push(`the file says the benchmark did not finish (complete: false)`)
  const tasks = distinct(results.map((r) => r.task))
  const languages = distinct(results.map((r) => r.language))
  const models = distinct(results.map((r) => r.model))
  const have = new Set(results.map((r) => `${r.task}\u0000${r.language}\u0000${r.model}`))
  const missing = tasks.flatMap((t) => languages.flatMap((l) => models.filter((m) => !have.has(`${t}\u0000${l}\u0000${m}`)).map((m) => `${t}/${l}/${m}`)))
  if (missing.length > 0)
    problems.push(
      `${missing.length} task x language x model cell(s) have no run (${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}): totals compare different task sets`
    )
  return problems
}

/** Decodes one report's text as the report command does, an ilo-bench report strictly by its schema, and checks it. */
const validateText = (file: string, text: string): Validation => {
  const decoded = decodeResults(file, text)
  if (Either.isLeft(decoded)) return { _tag: "Undecodable", error: decoded.left.message }
  const raw: unknown = JSON.parse(text)
  if ((raw as { harness?: unknown }).harness === "ilo-bench") {
    const strict = Schema.decodeUnknownEither(ReportFile, { errors: "first" })(raw)
    if (Either.isLeft(strict))
      return { _tag: "Undecodable", error: `results file ${file}: does not match the ilo-bench report schema: ${firstIssue(strict.left)}` }
  }
  return { _tag: "Decoded", format: decoded.right.format, runs: decoded.right.results.length, problems: problemsOf(decoded.right, raw) }
}

/**
 * Reads one results file as the report command does and checks it: a report read whole, a
 * checkpoint (.jsonl) line by line with its runs held as places (readCheckpointSource), so that
 * one of any size is checked in the memory of a small one.
 */
export const validateFile = (
  file: string,
  /** How much of a checkpoint's run lines is held whole (RunsOnDisk's KEEP_BYTES; less in tests). */
  keepBytes?: number
): Effect.Effect<Validation> => {
  if (file.endsWith(".jsonl"))
    return readCheckpointSource(file, keepBytes).pipe(
      // The warnings report and compare log (lines left out as not signed, lines read unchecked) come first: they explain the counts after them.
      Effect.map((source): Validation => ({
        _tag: "Decoded",
        format: source.format,
        runs: source.results.length,
        problems: [...(source.warnings ?? []), ...problemsOf(source, {})]
      })),
      Effect.catchAll((error) => Effect.succeed<Validation>({ _tag: "Undecodable", error: error.message }))
    )
  return readText(file, (reason) => reason).pipe(
    Effect.map((text) => validateText(file, text)),
    Effect.catchAll((reason) => Effect.succeed<Validation>({ _tag: "Undecodable", error: `results file ${file}: ${reason}` }))
  )
}
