import { Effect, Option, ParseResult, Schema } from "effect"
import { InvalidFlag } from "../domain/errors.js"
import { MAX_RETRY_CAP, MAX_TRIALS } from "../domain/limits.js"
import { shardFlags } from "./Shard.js"

const Opt = <S extends Schema.Schema.Any>(s: S) => Schema.OptionFromSelf(s)

/** The flags of `run` as the command line gives them. */
const fields = {
  ilo: Schema.String,
  retryCap: Schema.Number,
  model: Schema.String,
  task: Schema.Array(Schema.String),
  category: Schema.Array(Schema.String),
  lang2Name: Opt(Schema.String),
  lang2Bin: Opt(Schema.String),
  lang2Ext: Schema.String,
  lang2Docs: Opt(Schema.String),
  python: Schema.Boolean,
  dryRun: Schema.Boolean,
  outputDir: Schema.String,
  tasksFile: Opt(Schema.String),
  concurrency: Schema.Number,
  align: Schema.Boolean,
  cache: Schema.Literal("warm", "cold"),
  maxCost: Opt(Schema.Number),
  rpm: Opt(Schema.Number),
  programConcurrency: Schema.Number,
  maxTokens: Schema.Number,
  requestTimeout: Schema.Number,
  runTimeout: Schema.Number,
  apiRetries: Schema.Number,
  baseUrl: Opt(Schema.String),
  context: Schema.String,
  allowLanguageNamed: Schema.Boolean,
  provider: Schema.Literal("anthropic", "openai"),
  lang: Schema.Array(Schema.String),
  trials: Schema.Number,
  confirm: Schema.Number,
  temperature: Opt(Schema.Number),
  thinkingBudget: Opt(Schema.Number),
  record: Opt(Schema.String),
  replay: Opt(Schema.String),
  replayFallthrough: Schema.Boolean,
  batch: Schema.Boolean,
  batchPoll: Schema.Number,
  sandbox: Schema.Literal("auto", "bwrap", "none"),
  sandboxMemoryMb: Schema.Number,
  sandboxProcesses: Schema.Number,
  sandboxFileMb: Schema.Number,
  resume: Opt(Schema.String),
  force: Schema.Boolean,
  retryErrors: Schema.Boolean,
  shard: Opt(Schema.String),
  shards: Opt(Schema.Number),
  quiet: Schema.Boolean,
  countTokens: Opt(Schema.Literal("anthropic")),
  baseline: Schema.String
}

type Flags = Schema.Struct.Type<typeof fields>

/** A refusal: the flag, and why (printed as `ERROR: <flag>: <why>`, exit 2). */
type Problem = readonly [flag: string, reason: string] | undefined

const atLeastOne = (flag: string, value: number): Problem =>
  Number.isFinite(value) && value >= 1 ? undefined : [flag, `must be at least 1, got ${value}`]

/** A count that reports lay out one entry for each of: bounded (limits.ts). */
const atMost = (flag: string, value: number, max: number): Problem => (value <= max ? undefined : [flag, `must be at most ${max}, got ${value}`])

const positive = (flag: string, value: number): Problem =>
  Number.isFinite(value) && value > 0 ? undefined : [flag, `must be a positive number of seconds, got ${value}`]

/** A sandbox limit (MiB or processes): a whole number the kernel's limits can hold. */
const sandboxLimit = (flag: string, value: number): Problem =>
  Number.isSafeInteger(value) && value >= 1 && value <= 1024 ** 2 ? undefined : [flag, `must be a whole number from 1 to 1048576, got ${value}`]

/** What the provider accepts. */
const providerProblem = (f: Flags): Problem => {
  if (f.provider === "openai" && f.model === "both")
    return ["--model", "name the model to use with --provider openai (any id the server knows, e.g. gpt-4o-mini or llama3.2)"]
  if (f.provider === "anthropic" && Option.isSome(f.temperature))
    return [
      "--temperature",
      "not sent to anthropic: the API version that @anthropic-ai/sdk 1.x sends rejects temperature (use --provider openai, or drop the flag)"
    ]
  if (Option.isSome(f.temperature) && !(f.temperature.value >= 0 && f.temperature.value <= 2))
    return ["--temperature", `must be between 0 and 2, got ${f.temperature.value}`]
  if (Option.isSome(f.thinkingBudget)) {
    const budget = f.thinkingBudget.value
    if (f.provider !== "anthropic") return ["--thinking-budget", "extended thinking is an Anthropic feature; use --provider anthropic"]
    if (!(Number.isInteger(budget) && budget >= 1024 && budget < f.maxTokens))
      return ["--thinking-budget", `must be at least 1024 and below --max-tokens (${f.maxTokens}), got ${budget}`]
  }
  if (f.replayFallthrough && Option.isNone(f.replay)) return ["--replay-fallthrough", "needs --replay"]
  if (Option.isSome(f.countTokens) && f.provider !== "anthropic")
    return ["--count-tokens", "anthropic counts with Anthropic's token counting endpoint, which needs --provider anthropic (and ANTHROPIC_API_KEY)"]
  return batchProblem(f)
}

/** What --batch accepts: a provider with a batch API here, and no limit that is judged request by request. */
const batchProblem = (f: Flags): Problem => {
  if (!f.batch) return undefined
  if (Option.isSome(f.rpm)) return ["--rpm", "batches do not count against the per-minute limit; drop --rpm with --batch"]
  if (Option.isSome(f.maxCost))
    return ["--max-cost", "a wave is paid for as a whole, so runs cannot be turned away one by one; drop --max-cost with --batch (--dry-run shows the most it can cost)"]
  if (!(Number.isFinite(f.batchPoll) && f.batchPoll > 0)) return ["--batch-poll", `must be a positive number of seconds, got ${f.batchPoll}`]
  return undefined
}

/**
 * The --lang2-* flags describe one leg together: a name without a binary, or a binary without a
 * name, would otherwise drop the second language without a word (as the seed did), and the
 * benchmark would spend its money on ilo alone. --python supplies both.
 */
const lang2Problem = (f: Flags): Problem => {
  if (f.python) return undefined
  const name = Option.isSome(f.lang2Name)
  const bin = Option.isSome(f.lang2Bin)
  if (name && !bin) return ["--lang2-name", "needs --lang2-bin, the binary its programs run with (or use --lang NAME for a language of the catalog)"]
  if (bin && !name) return ["--lang2-bin", "needs --lang2-name, the second language's name"]
  if (Option.isSome(f.lang2Docs) && !name) return ["--lang2-docs", "needs the second language it documents: --lang2-name and --lang2-bin, or --python"]
  return undefined
}

/**
 * Every check that needs no file, in the order the first refusal is reported. Those that need the
 * tasks file or a catalog (task ids, categories, model aliases, languages, contexts) are made when
 * the run is prepared (session/Prepare.ts).
 */
const checks: ReadonlyArray<(f: Flags) => Problem> = [
  (f) => atLeastOne("--retry-cap", f.retryCap),
  (f) => atMost("--retry-cap", f.retryCap, MAX_RETRY_CAP),
  (f) => atLeastOne("--concurrency", f.concurrency),
  (f) => atLeastOne("--program-concurrency", f.programConcurrency),
  (f) => (Option.isSome(f.rpm) ? atLeastOne("--rpm", f.rpm.value) : undefined),
  (f) =>
    Option.isSome(f.maxCost) && !(Number.isFinite(f.maxCost.value) && f.maxCost.value > 0)
      ? ["--max-cost", `must be a positive number of USD, got ${f.maxCost.value}`]
      : undefined,
  (f) => atLeastOne("--max-tokens", f.maxTokens),
  (f) => atLeastOne("--trials", f.trials),
  (f) => atMost("--trials", f.trials, MAX_TRIALS),
  (f) => atLeastOne("--confirm", f.confirm),
  // Each confirmation is another run of a working program: a billion of them never end.
  (f) => atMost("--confirm", f.confirm, MAX_TRIALS),
  providerProblem,
  (f) => positive("--request-timeout", f.requestTimeout),
  (f) => positive("--run-timeout", f.runTimeout),
  (f) => (f.apiRetries >= 0 ? undefined : ["--api-retries", "must be 0 or more"]),
  (f) => (f.model.trim() === "" ? ["--model", "must not be empty"] : undefined),
  (f) => (f.ilo.trim() === "" ? ["--ilo", "must not be empty"] : undefined),
  lang2Problem,
  (f) => (Option.isNone(f.resume) && f.force ? ["--force", "only with --resume"] : undefined),
  (f) => (Option.isNone(f.resume) && f.retryErrors ? ["--retry-errors", "only with --resume"] : undefined),
  (f) => sandboxLimit("--sandbox-memory-mb", f.sandboxMemoryMb),
  (f) => sandboxLimit("--sandbox-processes", f.sandboxProcesses),
  (f) => sandboxLimit("--sandbox-file-mb", f.sandboxFileMb),
  (f) => (Option.isSome(f.baseUrl) && !URL.canParse(f.baseUrl.value) ? ["--base-url", `not a URL: ${f.baseUrl.value}`] : undefined),
  (f) => (f.baseline.trim() === "" ? ["--baseline", "must not be empty"] : undefined),
  // --shard I/N and --shards; auto's index comes from the environment, read when the run is prepared.
  (f) => {
    const shard = shardFlags(Option.getOrUndefined(f.shard), Option.getOrUndefined(f.shards))
    return shard instanceof InvalidFlag ? [shard.flag, shard.reason] : undefined
  }
]

/** The flags of `run`, checked: a value that holds is a benchmark the harness can try. */
export class RunFlags extends Schema.Class<RunFlags>("RunFlags")(
  Schema.Struct(fields).pipe(
    Schema.filter((f) => {
      for (const check of checks) {
        const problem = check(f)
        if (problem !== undefined) return { path: [problem[0]], message: problem[1] }
      }
      return undefined
    })
  )
) {
  /** The second language as the flags describe it, if any: --python fills what --lang2-* leave out. */
  get secondLanguage() {
    const name = Option.getOrUndefined(this.lang2Name) ?? (this.python ? "python" : undefined)
    const bin = Option.getOrUndefined(this.lang2Bin) ?? (this.python ? "python3" : undefined)
    const ext = this.python && Option.isNone(this.lang2Name) ? ".py" : this.lang2Ext
    return name !== undefined && bin !== undefined ? { name, bin, ext } : undefined
  }
}

/** The command line's values as RunFlags, or the first refusal as one line (exit 2). */
export const decodeRunFlags = (input: Flags) =>
  Schema.decode(RunFlags)(input).pipe(
    Effect.mapError((error) => {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
      return new InvalidFlag({ flag: String(issue?.path[0] ?? "run"), reason: issue?.message ?? error.message })
    })
  )
