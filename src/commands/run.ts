import { Command, Options } from "@effect/cli"
import { availableParallelism } from "node:os"
import { Config, Effect } from "effect"
import { DEFAULT_CONTEXT } from "../config/Contexts.js"
import { decodeRunFlags } from "../config/RunFlags.js"
import { RunsEndedInError } from "../domain/errors.js"
import { defaultRetryPolicy } from "../loop/Policy.js"
import { printRunSummary } from "../report/RunSummary.js"
import * as Bench from "../session/Bench.js"
import { prepareRun } from "../session/Prepare.js"
import { runSession } from "../session/Session.js"
import { choice, defaulting, optionalText } from "./optionHelpers.js"
import { providerOptions } from "./providerOptions.js"
import { sandboxOptions } from "./sandboxOptions.js"

export const runOptions = {
  ilo: Options.text("ilo").pipe(
    Options.withFallbackConfig(Config.string("ILO")),
    Options.withDefault("ilo"),
    Options.withDescription("Path to the ilo binary (default: $ILO, else ilo).")
  ),
  retryCap: Options.integer("retry-cap").pipe(
    Options.withDescription("Most attempts (first + repairs) per run."),
    defaulting(5)
  ),
  model: Options.text("model").pipe(
    // Written out, not read from the catalog as every command starts; a test holds it to the catalog.
    Options.withDescription("haiku, sonnet, both (the two: the seed's default), another alias of bench/models.json (opus, haiku-5.5, sonnet-5.5, opus-5.5; with --provider openai: dsflash, dspro for DeepSeek), or any model id."),
    defaulting("both")
  ),
  task: Options.text("task").pipe(Options.repeated, Options.withDescription("Run only this task id (repeatable).")),
  category: Options.text("category").pipe(
    Options.repeated,
    Options.withDescription("Run only the tasks of this category (repeatable; `ilo-bench tasks` lists them).")
  ),
  lang2Name: optionalText("lang2-name", "Name of a second language to benchmark (e.g. python)."),
  lang2Bin: optionalText("lang2-bin", "Its CLI binary; programs run as `<bin> FILE`."),
  lang2Ext: Options.text("lang2-ext").pipe(
    Options.withDescription("File extension of its programs."),
    defaulting(".zero")
  ),
  lang2Docs: optionalText("lang2-docs", "A documentation file for the second language, sent in its prompt."),
  python: Options.boolean("python").pipe(
    Options.withDescription("Shorthand for --lang2-name python --lang2-bin python3 --lang2-ext .py.")
  ),
  dryRun: Options.boolean("dry-run").pipe(
    Options.withDescription("Print the tasks, then the plan (languages, models, runs, the most it can cost) and exit; no model calls, no key needed.")
  ),
  outputDir: Options.text("output-dir").pipe(
    Options.withDescription("Where reports are written (created if missing)."),
    defaulting("bench")
  ),
  tasksFile: optionalText("tasks-file", "Tasks file (default: the bundled bench/closed-loop/tasks.json)."),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDescription("Model requests in flight at once, at most (it shrinks on 429/529 and grows back)."),
    defaulting(4)
  ),
  align: Options.boolean("no-align", { ifPresent: false, negationNames: ["align"] }).pipe(
    Options.withDescription(
      "--align (default): system prompt and docs first, cache-marked, repairs continue the conversation. --no-align: the seed's layout."
    )
  ),
  cache: choice("cache", ["warm", "cold"]).pipe(
    Options.withDescription("warm: let the provider's prompt cache work; cold: a nonce per attempt defeats it."),
    defaulting("warm")
  ),
  maxCost: Options.float("max-cost").pipe(
    Options.optional,
    Options.withDescription("Stop starting new runs once this many USD (list prices) are spent (with --shard: per shard).")
  ),
  rpm: Options.integer("rpm").pipe(Options.optional, Options.withDescription("Model requests started per minute, at most (with --shard: per shard).")),
  programConcurrency: Options.integer("program-concurrency").pipe(
    Options.withDefault(availableParallelism()),
    Options.withDescription("Generated programs running at once (default: the number of CPUs).")
  ),
  maxTokens: Options.integer("max-tokens").pipe(
    Options.withDescription("max_tokens of each model request."),
    defaulting(1024)
  ),
  requestTimeout: Options.float("request-timeout").pipe(
    Options.withDescription("Seconds before a model request is abandoned (and retried)."),
    defaulting(90)
  ),
  runTimeout: Options.float("run-timeout").pipe(
    Options.withDescription("Seconds a generated program may run."),
    defaulting(20)
  ),
  apiRetries: Options.integer("api-retries").pipe(
    Options.withDescription("Retries of a failed model call (429, 5xx, timeout) before the run ends as error."),
    defaulting(defaultRetryPolicy.retries)
  ),
  baseUrl: optionalText("base-url", "API base URL (default: $ANTHROPIC_BASE_URL or $OPENAI_BASE_URL, else the provider's)."),
  context: Options.text("context").pipe(
    Options.withDescription("Named set of ilo skill modules from skills/ilo/contexts.json."),
    defaulting(DEFAULT_CONTEXT)
  ),
  allowLanguageNamed: Options.boolean("allow-language-named").pipe(
    Options.withDescription("Run tasks whose descriptions name a language (recorded in the report).")
  ),
  ...providerOptions,
  ...sandboxOptions,
  resume: optionalText("resume", "Finish an interrupted benchmark from its checkpoint (closed-loop-<stamp>.jsonl); give the same flags."),
  force: Options.boolean("force").pipe(
    Options.withDescription("With --resume: resume even if the configuration differs (the report says so).")
  ),
  retryErrors: Options.boolean("retry-errors").pipe(
    Options.withDescription("With --resume: run again the runs that ended in \"error\", even if the checkpoint is complete.")
  ),
  shard: optionalText(
    "shard",
    "Run only shard I of N of the plan (I/N, from 1), each run's shard fixed by a hash of task, language, model and trial; own checkpoint and reports; `report` merges the shards' files. auto: from the job engine's environment (Kubernetes Indexed Job, SLURM array, ILO_BENCH_SHARD_INDEX/COUNT)."
  ),
  shards: Options.integer("shards").pipe(
    Options.optional,
    Options.withDescription("With --shard auto: the number of shards, where the job engine does not say it (a Kubernetes Indexed Job's completions).")
  ),
  quiet: Options.boolean("quiet").pipe(
    Options.withDescription("No progress on stderr (stdout's lines are unchanged).")
  ),
  countTokens: choice("count-tokens", ["anthropic"]).pipe(
    Options.optional,
    Options.withDescription(
      "Count each program and each language's documentation with Anthropic's token counting endpoint too (the `anthropic` tokenizer of the census; each distinct text once per model; needs --provider anthropic and its key, except in a replay of a benchmark recorded with it)."
    )
  ),
  baseline: Options.text("baseline").pipe(
    Options.withDescription("The language the verdict divides the others' spend by (default: ilo)."),
    Options.withDefault("ilo")
  )
}

type RunOptions = Command.Command.ParseConfig<typeof runOptions>

export const runBenchmark = (options: RunOptions) =>
  Effect.gen(function* () {
    const flags = yield* decodeRunFlags(options)
    const prepared = yield* prepareRun(flags)
    // A dry run has printed its plan.
    if (prepared === undefined) return
    const outcome = yield* Effect.scoped(runSession({ ...prepared.session, finished: printRunSummary(flags, prepared.session.runs.length) })).pipe(
      Effect.provide(Bench.layer(flags, prepared.llm, prepared.bench))
    )
    const errors = outcome.report.results.filter((r) => r.final_outcome === "error").length
    if (errors > 0) return yield* new RunsEndedInError({ count: errors })
  })

export const runCommand = Command.make("run", runOptions, runBenchmark).pipe(
  Command.withDescription("Run the closed-loop benchmark: ask, run, compare, repair; write JSON, Markdown and HTML reports.")
)
