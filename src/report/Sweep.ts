import { Data, Effect, Either, Schema } from "effect"
import { runKey } from "../loop/Plan.js"
import { headerSigningKey, parseCheckpointLines, withFileLines, type LineAt } from "../services/Checkpoint.js"
import { readRuns } from "../services/RunsOnDisk.js"
import { loadSigningKey, signingKeyPath } from "../platform/checkpointKeys.js"
import type { CheckpointContents } from "../domain/Checkpoint.js"
import type { RunResult } from "../domain/Result.js"
import { distinct } from "./format.js"
import { resultNotes, unansweredNotes } from "./Notes.js"
import { Outcome, ProgramOutcome } from "../domain/Outcome.js"
import type { Report } from "./Json.js"
import { firstIssue } from "../domain/schemaIssue.js"
import { AttemptCount, AttemptNumber, MAX_JSON_DEPTH, nestedDeeperThan, TrialNumber } from "../domain/limits.js"
import { shardOfConfig, shardProblems, type ShardOfFile } from "./Shards.js"
import { docKey } from "./Census.js"

/**
 * What the reports are drawn from: results of one or more files (legs of one sweep), read through
 * Schema. The seed's record fields are required; everything later harnesses added is optional and
 * shown when present, so a report from any of them renders.
 */

const OptionalNumber = Schema.optional(Schema.NullOr(Schema.Number))

export const AttemptRow = Schema.Struct({
  attempt: AttemptNumber,
  outcome: ProgramOutcome,
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  cache_write_tokens: Schema.optional(Schema.Number),
  cache_read_tokens: Schema.optional(Schema.Number),
  stop_reason: Schema.optional(Schema.NullOr(Schema.String)),
  exit_code: Schema.optional(Schema.NullOr(Schema.Number)),
  timed_out: Schema.optional(Schema.Boolean),
  duration_ms: Schema.optional(Schema.Number),
  program: Schema.String,
  program_tokens: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })),
  error_detail: Schema.NullOr(Schema.String),
  cost_usd: OptionalNumber,
  /** Of output_tokens, thinking or reasoning; null where the provider did not say (the ilo harness's attempt_trace). */
  reasoning_tokens: OptionalNumber,
  /** The model that answered, where the provider said (it may differ from the one asked). */
  served_model: Schema.optional(Schema.NullOr(Schema.String)),
  dropped: Schema.optional(Schema.String),
  confirmations: Schema.optional(Schema.Struct({ runs: Schema.Number, working: Schema.Number }))
})
export type AttemptRow = typeof AttemptRow.Type

export const ResultRow = Schema.Struct({
  task: Schema.String,
  language: Schema.String,
  model: Schema.String,
  trial: Schema.optional(TrialNumber),
  model_id: Schema.optional(Schema.String),
  generation_tokens: Schema.Number,
  input_tokens: Schema.Number,
  repair_tokens_by_turn: Schema.Array(Schema.Number),
  attempts_to_success: Schema.NullOr(Schema.Number),
  attempts_total: AttemptCount,
  wall_time_s: Schema.Number,
  final_outcome: Outcome,
  provider: Schema.optional(Schema.String),
  cost_usd: OptionalNumber,
  cache_savings_usd: OptionalNumber,
  input_cache_hit_tokens: OptionalNumber,
  input_cache_miss_tokens: OptionalNumber,
  input_cache_write_tokens: OptionalNumber,
  finish_reasons: Schema.optional(Schema.Array(Schema.NullOr(Schema.String))),
  truncated_attempts: Schema.optional(Schema.Number),
  known_issue: Schema.optional(Schema.String),
  /**
   * Of generation_tokens, thinking or reasoning: this project's reasoning_tokens, the ilo harness's
   * thinking_tokens (null there when no attempt said); code_tokens the rest, null when any attempt's
   * thinking is unknown.
   */
  reasoning_tokens: OptionalNumber,
  thinking_unknown_attempts: Schema.optional(Schema.Number),
  code_tokens: OptionalNumber,
  served_models: Schema.optional(Schema.Array(Schema.String)),
  final_program_tokens: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })),
  api_error: Schema.optional(
    Schema.NullOr(Schema.Struct({ kind: Schema.String, status: Schema.NullOr(Schema.Number), message: Schema.String }))
  ),
  flaky: Schema.optional(Schema.Boolean),
  abandoned_requests: Schema.optional(
    Schema.Array(Schema.Struct({ attempt: Schema.Number, at: Schema.String, reason: Schema.String, prompt_chars: Schema.Number }))
  ),
  attempts: Schema.optional(Schema.Array(AttemptRow))
})
export type ResultRow = typeof ResultRow.Type

const SkillRow = Schema.Struct({ module: Schema.String, source: Schema.String, sha256: Schema.String, bytes: Schema.Number })

/** This project's JSON report (src/report/Json.ts); the configuration is kept as written. */
const IloBenchFile = Schema.Struct({
  generated: Schema.String,
  harness: Schema.Literal("ilo-bench"),
  harness_version: Schema.optional(Schema.String),
  complete: Schema.optional(Schema.Boolean),
  planned_runs: Schema.optional(Schema.Number),
  config: Schema.optional(
    Schema.Struct(
      { retry_cap: Schema.optional(AttemptNumber), max_tokens: Schema.optional(Schema.Number) },
      Schema.Record({ key: Schema.String, value: Schema.Unknown })
    )
  ),
  skills: Schema.optional(Schema.Array(SkillRow)),
  notes: Schema.optional(Schema.Array(Schema.String)),
  /** Only what results cannot give again: the documentation's tokens per language. */
  analysis: Schema.optional(
    Schema.Struct({
      census: Schema.optional(
        Schema.Array(
          Schema.Struct({
            language: Schema.String,
            model: Schema.optional(Schema.String),
            doc_tokens: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) }))
          })
        )
      )
    })
  ),
  results: Schema.Array(ResultRow)
})

/** One attempt as the ilo project's later harness traces it. */
const PeerAttempt = Schema.Struct({
  attempt: Schema.Number,
  billed: Schema.optional(Schema.Boolean),
  code: Schema.String,
  stderr: Schema.optional(Schema.NullOr(Schema.String)),
  stdout: Schema.optional(Schema.NullOr(Schema.String)),
  rc: Schema.optional(Schema.NullOr(Schema.Number)),
  outcome: ProgramOutcome,
  thinking_tokens: OptionalNumber,
  generation_tokens: Schema.Number,
  input_tokens: Schema.Number,
  cache_hit_tokens: Schema.optional(Schema.Number),
  cache_creation_tokens: Schema.optional(Schema.Number),
  served_model: Schema.optional(Schema.NullOr(Schema.String)),
  finish_reason: Schema.optional(Schema.NullOr(Schema.String))
})

const PeerResult = Schema.Struct({
  ...ResultRow.fields,
  thinking_tokens: OptionalNumber,
  attempt_trace: Schema.optional(Schema.Array(PeerAttempt))
})

/**
 * The ilo project's own harness: the seed's report; the later one with cache_mode and leg; and the
 * latest, with lang_arms and the file's provenance beside the results, and per run thinking and code
 * tokens, the models that served it and a trace of every attempt.
 */
const PeerFile = Schema.Struct({
  generated: Schema.String,
  harness: Schema.String.pipe(Schema.startsWith("closed-loop-bench.py")),
  ticket: Schema.optional(Schema.String),
  note: Schema.optional(Schema.String),
  cache_mode: Schema.optional(Schema.String),
  leg: Schema.optional(Schema.NullOr(Schema.String)),
  lang_arms: Schema.optional(Schema.Array(Schema.String)),
  niche: Schema.optional(Schema.String),
  docs_source: Schema.optional(Schema.String),
  fair_bakeoff: Schema.optional(Schema.Boolean),
  language_neutral: Schema.optional(Schema.Boolean),
  results: Schema.Array(PeerResult)
})

/** A traced attempt as this project's attempt rows say it: what it cost, what it printed, what went back. */
const fromTrace = (t: typeof PeerAttempt.Type): AttemptRow => ({
  attempt: t.attempt,
  outcome: t.outcome,
  input_tokens: t.input_tokens,
  output_tokens: t.generation_tokens,
  cache_write_tokens: t.cache_creation_tokens ?? 0,
  cache_read_tokens: t.cache_hit_tokens ?? 0,
  stop_reason: t.finish_reason ?? null,
  exit_code: t.rc ?? null,
  program: t.code,
  error_detail: t.outcome === "working" ? null : (t.stderr || t.stdout || null),
  reasoning_tokens: t.thinking_tokens ?? null,
  served_model: t.served_model ?? null
})

/**
 * The ilo harness runs no trials, but a file may hold one task, language and model more than once
 * (its fixture does): in file order those are read as trials 1, 2, ..., so that none replaces another.
 */
const numberRepeats = (results: ReadonlyArray<ResultRow>): { readonly results: ReadonlyArray<ResultRow>; readonly repeated: number } => {
  const seen = new Map<string, number>()
  let repeated = 0
  const numbered = results.map((r) => {
    if (r.trial !== undefined) return r
    const key = `${r.task}\u0000${r.language}\u0000${r.model}`
    const n = (seen.get(key) ?? 0) + 1
    seen.set(key, n)
    if (n === 1) return r
    repeated++
    return { ...r, trial: n }
  })
  return { results: numbered, repeated }
}

const fromPeerResult = ({ attempt_trace, thinking_tokens, ...r }: typeof PeerResult.Type): ResultRow => ({
  ...r,
  ...(thinking_tokens !== undefined ? { reasoning_tokens: thinking_tokens } : {}),
  ...(attempt_trace !== undefined ? { attempts: attempt_trace.map(fromTrace) } : {})
})

export interface Source {
  readonly file: string
  /** Which harness and shape the file had. */
  readonly format: string
  readonly generated: string
  /** False when the file itself says the run did not finish (a checkpoint, or complete: false). */
  readonly complete: boolean
  /** How many runs the benchmark planned, where the file says (a checkpoint). */
  readonly planned?: number | undefined
  /** The plan's grid, where the file says: a partial report's denominators, not the runs that finished. */
  readonly plan?: Plan | undefined
  readonly retryCap?: number | undefined
  readonly maxTokens?: number | undefined
  /** Settings worth showing, as label and value. */
  readonly settings: ReadonlyArray<readonly [string, string]>
  readonly skills: ReadonlyArray<typeof SkillRow.Type>
  readonly notes: ReadonlyArray<string>
  /** Tokens of each language's documentation, per tokenizer, where the file recorded them. */
  readonly docTokens?: ReadonlyMap<string, Readonly<Record<string, number | null>>> | undefined
  readonly results: ReadonlyArray<ResultRow>
  /** The configuration as the file wrote it (this project's files). */
  readonly config?: Readonly<Record<string, unknown>> | undefined
  /** The shard of a benchmark the file holds (`--shard`). */
  readonly shard?: ShardOfFile | undefined
  /** The benchmark's task ids in the plan's order, where the file says (a checkpoint). */
  readonly taskOrder?: ReadonlyArray<string> | undefined
  /** What reading the file found that the user must hear of at once (lines of a checkpoint left out). */
  readonly warnings?: ReadonlyArray<string> | undefined
}

/** The documentation tokens a report's census recorded, by language and model (docKey). */
const docTokensOf = (
  census:
    | ReadonlyArray<{ readonly language: string; readonly model?: string | undefined; readonly doc_tokens: Readonly<Record<string, number | null>> | null }>
    | undefined
) =>
  new Map(
    (census ?? []).flatMap((c) => (c.doc_tokens === null ? [] : [[c.model === undefined ? c.language : docKey(c.language, c.model), c.doc_tokens] as const]))
  )

/** What a benchmark planned: tasks x languages x models x trials = runs. */
export interface Plan {
  readonly runs: number
  readonly tasks: number
  readonly languages: number
  readonly models: number
  readonly trials: number
}

/**
 * The plan from a configuration (its languages, models and trials) and the planned run count; the
 * task count is the header's list where there is one, else what the run count implies.
 */
const planOf = (config: Record<string, unknown> | undefined, runs: number | undefined, tasks: ReadonlyArray<string> | undefined): Plan | undefined => {
  if (config === undefined || runs === undefined) return undefined
  const languages = Array.isArray(config["languages"]) ? config["languages"].length : 0
  const models = Array.isArray(config["models"]) ? config["models"].length : 0
  const trials = typeof config["trials"] === "number" ? config["trials"] : 1
  if (languages === 0 || models === 0) return undefined
  const taskCount = tasks?.length ?? runs / (languages * models * trials)
  return Number.isInteger(taskCount) ? { runs, tasks: taskCount, languages, models, trials } : undefined
}

export class ResultsFileError extends Data.TaggedError("ResultsFileError")<{ readonly file: string; readonly reason: string }> {
  override get message() {
    return `results file ${this.file}: ${this.reason}`
  }
}


const show = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value))

const fromIloBench = (file: string, r: typeof IloBenchFile.Type, format: string, complete: boolean): Source => {
  const config = r.config ?? {}
  const settings = Object.entries(config)
    .filter(([k]) => k !== "languages")
    .map(([k, v]) => [k, show(v)] as const)
  const languages = Array.isArray(config["languages"]) ? (config["languages"] as Array<{ name?: unknown; docs?: unknown }>) : []
  for (const l of languages) settings.push([`docs for ${show(l.name)}`, show(l.docs)] as const)
  return {
    file,
    format,
    generated: r.generated,
    complete,
    planned: r.planned_runs,
    retryCap: r.config?.retry_cap,
    maxTokens: r.config?.max_tokens,
    settings,
    skills: r.skills ?? [],
    notes: r.notes ?? [],
    docTokens: docTokensOf(r.analysis?.census),
    results: r.results,
    config,
    shard: shardOfConfig(config)
  }
}

/**
 * Decodes one file's text: an ilo-bench report or either closed-loop-bench.py format. A checkpoint
 * (.jsonl) is read from its file line by line instead (readCheckpointSource).
 */
export const decodeResults = (file: string, text: string): Either.Either<Source, ResultsFileError> => {
  const fail = (reason: string) => Either.left(new ResultsFileError({ file, reason }))
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`)
  }
  if (nestedDeeperThan(json)) return fail(`nests deeper than ${MAX_JSON_DEPTH} levels, as no results file does`)
  const harness = typeof json === "object" && json !== null ? (json as { harness?: unknown }).harness : undefined
  if (harness === "ilo-bench") {
    const decoded = Schema.decodeUnknownEither(IloBenchFile)(json)
    if (Either.isLeft(decoded)) return fail(`an ilo-bench report, but ${firstIssue(decoded.left)}`)
    return Either.right(fromIloBench(file, decoded.right, `ilo-bench ${decoded.right.harness_version ?? ""}`.trim(), decoded.right.complete ?? true))
  }
  if (typeof harness === "string" && harness.startsWith("closed-loop-bench.py")) {
    const decoded = Schema.decodeUnknownEither(PeerFile)(json)
    if (Either.isLeft(decoded)) return fail(`a closed-loop-bench.py report, but ${firstIssue(decoded.left)}`)
    const r = decoded.right
    const numbered = numberRepeats(r.results.map(fromPeerResult))
    const traced = r.lang_arms !== undefined || r.results.some((x) => x.attempt_trace !== undefined || x.thinking_tokens !== undefined)
    const later = traced || r.cache_mode !== undefined || r.results.some((x) => x.cost_usd !== undefined)
    const settings: Array<readonly [string, string]> = []
    if (r.harness !== "closed-loop-bench.py") settings.push(["harness", r.harness])
    if (r.ticket !== undefined) settings.push(["ticket", r.ticket])
    if (r.cache_mode !== undefined) settings.push(["cache_mode", r.cache_mode])
    if (r.leg !== undefined && r.leg !== null) settings.push(["leg", r.leg])
    if (r.lang_arms !== undefined) settings.push(["lang_arms", r.lang_arms.join(", ")])
    if (r.docs_source !== undefined) settings.push(["docs_source", r.docs_source])
    if (r.fair_bakeoff !== undefined) settings.push(["fair_bakeoff", String(r.fair_bakeoff)])
    if (r.language_neutral !== undefined) settings.push(["language_neutral", String(r.language_neutral)])
    // What our files call prompt_layout and prompt_cache, so that compare can say when they differ:
    // the seed always sent its own layout; the later harness says per run.
    const perRun = (field: string) =>
      distinct(((json as { results: ReadonlyArray<Record<string, unknown>> }).results ?? []).map((x) => x[field]))
    const aligns = perRun("align")
    const layout = !later ? "seed" : aligns.length === 1 && typeof aligns[0] === "boolean" ? (aligns[0] ? "aligned" : "seed") : undefined
    if (layout !== undefined) settings.push(["prompt_layout", layout])
    const caches = perRun("cache_mode")
    if (later && caches.length === 1 && (caches[0] === "warm" || caches[0] === "cold")) settings.push(["prompt_cache", caches[0]])
    return Either.right({
      file,
      format: traced ? "closed-loop-bench.py (with attempt trace)" : later ? "closed-loop-bench.py (with cache and cost)" : "closed-loop-bench.py (seed)",
      generated: r.generated,
      complete: true,
      settings,
      skills: [],
      notes: [
        ...(r.note !== undefined ? [`The file says: ${r.note}`] : []),
        ...(r.niche !== undefined ? [`Niche: ${r.niche}`] : []),
        ...(numbered.repeated > 0
          ? [`${numbered.repeated} run(s) repeat a task, language and model earlier in the file: they are read as further trials of it.`]
          : [])
      ],
      results: numbered.results
    })
  }
  return fail(
    `not a results file ilo-bench knows (expected "harness": "ilo-bench" or "closed-loop-bench.py", or a checkpoint .jsonl); found harness ${show(harness ?? "none")}`
  )
}

/**
 * The runs in the plan's order (task, language, model, trial), which a checkpoint records as they
 * finished. A checkpoint too old to list its tasks keeps the order in which each task first finished.
 */
const planOrder = (header: CheckpointContents["header"], runs: ReadonlyArray<RunResult>) =>
  // Fields an older harness may not have written: ranked as unknown, after the rest.
  sortInPlanOrder(
    runs,
    header.tasks ?? distinct(runs.map((r) => r.task)),
    (header.config.languages ?? []).map((l) => l.name),
    (header.config.models ?? []).map((m) => m.key)
  )

/** Runs sorted by task, language and model in the given orders (a name not listed goes last), then trial. */
const sortInPlanOrder = <R extends Pick<RunResult, "task" | "language" | "model"> & { readonly trial?: number | undefined }>(
  runs: ReadonlyArray<R>,
  taskOrder: ReadonlyArray<string>,
  languageOrder: ReadonlyArray<string>,
  modelOrder: ReadonlyArray<string>
): Array<R> => {
  const rank = (names: ReadonlyArray<string>) => new Map(names.map((name, i) => [name, i]))
  const [tasks, languages, models] = [rank(taskOrder), rank(languageOrder), rank(modelOrder)]
  const at = (index: Map<string, number>, name: string) => index.get(name) ?? index.size
  return [...runs].sort(
    (a, b) =>
      at(tasks, a.task) - at(tasks, b.task) ||
      at(languages, a.language) - at(languages, b.language) ||
      at(models, a.model) - at(models, b.model) ||
      (a.trial ?? 1) - (b.trial ?? 1)
  )
}

const maxTokensOf = (header: CheckpointContents["header"]) => (typeof header.config.max_tokens === "number" ? header.config.max_tokens : 0)

/** A result row as a report reads it, from a checkpoint's run record (which always has what the row needs). */
const decodeRow = Schema.decodeUnknownSync(ResultRow)

/**
 * A checkpoint as a source, read as a resume reads it (a torn last line ignored; its lines checked
 * with the key that signs them where it is here, a line a program appended left out; elsewhere,
 * another machine's shard, read as they are): its header's settings and, for each run, the last
 * record written (a run re-run on resume supersedes its earlier line). Read from the file line by
 * line (fileLines), its runs held as a report holds the runs of a benchmark it ran (RunsOnDisk):
 * their places, their short fields in columns, the rest read from their lines when used. Neither
 * the file nor its runs are ever in memory whole, so that a report of a 100,000-run checkpoint is
 * made in about the memory of one of 1,000.
 */
export const readCheckpointSource = (
  file: string,
  /** How much of its run lines is held whole (RunsOnDisk's KEEP_BYTES; less in tests). */
  keepBytes?: number
): Effect.Effect<Source, ResultsFileError> =>
  Effect.gen(function* () {
    const fail = (reason: string) => new ResultsFileError({ file, reason })
    // The header names the key that signs the lines: the lines are checked with it where it is here.
    const keyId = yield* withFileLines(file, fail, ({ lines }) => {
      for (const line of lines) return headerSigningKey(line.text)
      return undefined
    })
    const key = keyId === undefined ? undefined : loadSigningKey(keyId)
    /** The last run line of each run, in the order runs first appear. */
    const places: Array<LineAt> = []
    const slotOf = new Map<string, number>()
    const parsed = yield* withFileLines(file, fail, (lines) =>
      parseCheckpointLines(file, lines, {
        keyOf: key === undefined ? undefined : () => key,
        // Read without the key, a line it refuses must still be a checkpoint record.
        refusedMustParse: true,
        onRun: (result, at) => {
          const k = runKey(result)
          const slot = slotOf.get(k)
          if (slot === undefined) {
            slotOf.set(k, places.length)
            places.push(at!)
          } else places[slot] = at!
        }
      })
    )
    slotOf.clear()
    if (Either.isLeft(parsed)) return yield* fail(parsed.left.reason)
    // In the plan's order, and their notes, from the runs' records; then held again as result rows.
    const runs = readRuns(file, places, keepBytes)
    const placeOf = new Map(runs.map((r, i) => [r, places[i]!]))
    const latest = planOrder(parsed.right.header, runs)
    const notes = resultNotes(latest, maxTokensOf(parsed.right.header))
    const inOrder = latest.map((r) => placeOf.get(r)!)
    placeOf.clear()
    const rows = readRuns(file, inOrder, keepBytes, (result) => decodeRow(result) as unknown as RunResult)
    return yield* checkpointSource(file, parsed.right, keyId, key, rows, notes)
  })

/** A checkpoint's source, from what was read of it and its latest runs in the plan's order, as result rows (decoded one by one as they were read). */
const checkpointSource = (
  file: string,
  parsed: CheckpointContents,
  keyId: string | undefined,
  key: unknown,
  latest: ReadonlyArray<RunResult>,
  runNotes: ReadonlyArray<string>
): Either.Either<Source, ResultsFileError> => {
  const { header, resumes } = parsed
  const refused = parsed.refusedLines ?? []
  const warnings = [
    ...(refused.length > 0
      ? [`checkpoint ${file}: ${refused.length} line(s) were not written by the ilo-bench that owns it (their signature does not match) and are left out: line ${refused.slice(0, 5).join(", ")}${refused.length > 5 ? ", ..." : ""}`]
      : []),
    ...(keyId !== undefined && key === undefined
      ? [`checkpoint ${file}: the key that signs its lines is not on this machine (${signingKeyPath(keyId)}), so they are read unchecked: a line a program appended would count`]
      : [])
  ]
  const forced = resumes.flatMap((r) => r.forced)
  const file_ = {
    generated: header.started,
    harness: "ilo-bench",
    config: header.config,
    skills: header.skills,
    // As the run's own report says them, but for the resumes' counts, which only the run knew.
    notes: [
      ...warnings,
      ...unansweredNotes(parsed.unanswered ?? 0),
      ...(resumes.length > 0
        ? [`Resumed ${resumes.length === 1 ? "once" : `${resumes.length} times`} from this checkpoint: runs finished before a resume were kept and not asked again.`]
        : []),
      ...(forced.length > 0 ? [`Resumed with --force although the configuration differed from the checkpoint's: ${forced.join("; ")}.`] : []),
      ...(header.notes ?? []),
      ...runNotes
    ]
  }
  const decoded = Schema.decodeUnknownEither(IloBenchFile)({ ...file_, results: [] })
  if (Either.isLeft(decoded)) return Either.left(new ResultsFileError({ file, reason: firstIssue(decoded.left) }))
  const results = latest as unknown as ReadonlyArray<ResultRow>
  // A run line for every planned run: the benchmark finished (older checkpoints do not say). The
  // last resume's plan counts: with --force it may not be the header's.
  const planned = [header.planned_runs, ...resumes.map((r) => r.planned_runs)].filter((n) => n !== undefined).at(-1)
  const finished = planned !== undefined && results.length >= planned
  // The grid of the last plan: the header's, unless a resume planned otherwise (then its count alone).
  const headerPlan = planOf(header.config as unknown as Record<string, unknown>, planned, header.tasks)
  return Either.right({ ...fromIloBench(file, { ...decoded.right, results }, "ilo-bench checkpoint", finished), planned, plan: headerPlan, taskOrder: header.tasks, warnings })
}

/** The report of the run that just finished, as a source, without a round trip through disk. */
export const sourceOfReport = (report: Report, file: string): Source => ({
  file,
  format: `ilo-bench ${report.harness_version}`,
  generated: report.generated,
  complete: report.complete,
  planned: report.planned_runs,
  plan: planOf(report.config as unknown as Record<string, unknown>, report.planned_runs, undefined),
  retryCap: report.config.retry_cap,
  maxTokens: report.config.max_tokens,
  settings: [
    ...Object.entries(report.config)
      .filter(([k]) => k !== "languages")
      .map(([k, v]) => [k, show(v)] as const),
    ...report.config.languages.map((l) => [`docs for ${l.name}`, l.docs] as const)
  ],
  skills: report.skills,
  notes: report.notes,
  docTokens: docTokensOf(report.analysis?.census),
  results: report.results,
  config: report.config as unknown as Readonly<Record<string, unknown>>,
  shard: shardOfConfig(report.config as unknown as Readonly<Record<string, unknown>>)
})

/** Several sources merged: a later file's run replaces an earlier one's for the same task, language and model. */
export interface Sweep {
  readonly sources: ReadonlyArray<Source>
  readonly results: ReadonlyArray<ResultRow>
  readonly tasks: ReadonlyArray<string>
  readonly languages: ReadonlyArray<string>
  readonly models: ReadonlyArray<string>
  readonly retryCap: number
  /**
   * How many of the files recorded their cap (the seed's format does not): with none, `retryCap`
   * is only the most attempts any run took; with some, the larger of their caps and that.
   */
  readonly retryCapRecordedIn: number
  /** Trials per task x language x model: the highest trial number of any run (1 where none has one). */
  readonly trials: number
  /** Runs that appeared in more than one file (the later one is kept). */
  readonly replaced: number
  /** What the benchmark planned, where one file is the whole sweep and says (a checkpoint, a partial report). */
  readonly plan?: Plan | undefined
  /** Shards of a benchmark missing, given twice or of another benchmark (`report` of shard files); empty when whole. */
  readonly shardProblems?: ReadonlyArray<string> | undefined
}

/** A run's identity across files: task, language, model and trial (1 where a file has no trials). */
export { runKey }

/** ilo first (the language the benchmark is about), then the others in first-seen order. */
const iloFirst = (languages: ReadonlyArray<string>) => [
  ...languages.filter((l) => l === "ilo"),
  ...languages.filter((l) => l !== "ilo")
]

/**
 * Shards' runs in the plan's order, as the whole benchmark would list them: task (as a checkpoint
 * records the plan's tasks), language, model (as the configuration lists them), trial.
 */
const shardsInPlanOrder = (sources: ReadonlyArray<Source>, results: ReadonlyArray<ResultRow>) => {
  const names = (field: string, key: string) =>
    sources.flatMap((s) => {
      const list = s.config?.[field]
      return Array.isArray(list) ? list.map((x) => String((x as Record<string, unknown>)[key])) : []
    })
  return sortInPlanOrder(
    results,
    distinct([...sources.flatMap((s) => s.taskOrder ?? []), ...results.map((r) => r.task)]),
    distinct(names("languages", "name")),
    distinct(names("models", "key"))
  )
}

/**
 * Merges sources into one sweep. With `checkShards` (the report command), files that hold shards
 * (`--shard`) are checked to make every shard of one benchmark, once: `shardProblems` says otherwise.
 */
export const mergeSources = (
  sources: ReadonlyArray<Source>,
  /** oneRunEach: the one source is a benchmark's own report, a run per task, language, model and trial (its plan's), kept as they are without a map keyed by run. */
  options: { readonly checkShards?: boolean; readonly oneRunEach?: boolean } = {}
): Sweep => {
  const byKey = new Map<string, ResultRow>()
  let replaced = 0
  const asTheyAre = options.oneRunEach === true && sources.length === 1
  if (!asTheyAre)
    for (const s of sources)
      for (const r of s.results) {
        const key = runKey(r)
        if (byKey.has(key)) replaced++
        byKey.set(key, r)
      }
  const merged = asTheyAre ? sources[0]!.results : [...byKey.values()]
  byKey.clear()
  const sharded = sources.length > 0 && sources.every((s) => s.shard !== undefined)
  const results = sharded ? shardsInPlanOrder(sources, merged) : merged
  const observed = Math.max(0, ...results.map((r) => r.attempts_total))
  const configured = sources.flatMap((s) => (s.retryCap !== undefined ? [s.retryCap] : []))
  return {
    sources,
    results,
    tasks: distinct(results.map((r) => r.task)),
    languages: iloFirst(distinct(results.map((r) => r.language))),
    models: distinct(results.map((r) => r.model)),
    // The seed's files do not record their cap: the most attempts any run took stands in for it.
    retryCap: Math.max(1, observed, ...configured),
    retryCapRecordedIn: configured.length,
    trials: Math.max(1, ...results.map((r) => r.trial ?? 1)),
    replaced,
    plan: sources.length === 1 ? sources[0]!.plan : undefined,
    shardProblems: options.checkShards
      ? shardProblems(sources.flatMap((s) => (s.shard === undefined ? [] : [{ file: s.file, shard: s.shard, config: s.config ?? {}, skills: s.skills }])))
      : []
  }
}
