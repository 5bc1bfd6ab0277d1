import { Command, Options } from "@effect/cli"
import { Path } from "@effect/platform"
import { Config, Console, Duration, Effect, Layer, Option } from "effect"
import { ReplayMiss } from "../domain/Cassette.js"
import { InvalidFlag, LanguageNamed, TaskNotFound } from "../domain/errors.js"
import { resolveModels } from "../domain/Model.js"
import type { RunConfig } from "../domain/RunConfig.js"
import { setExitCode, ExitCode } from "../ExitCode.js"
import type { LoopSettings } from "../loop/ClosedLoop.js"
import { DEFAULT_CONTEXT, resolveContext } from "../loop/Contexts.js"
import { docsLabel, resolveLegs } from "../loop/Legs.js"
import { findLanguageNames } from "../tasks/LanguageNames.js"
import { plan } from "../loop/Plan.js"
import { defaultRetryPolicy } from "../loop/Policy.js"
import { packageRoot, HARNESS_VERSION } from "../paths.js"
import { selectLlm, validateProviderFlags } from "../providers/Select.js"
import { benchProgress, progressMode } from "../report/LiveProgress.js"
import { headerLine, pathsBlock, summaryTable } from "../report/Summary.js"
import { trialsSummary } from "../report/Trials.js"
import { CheckpointLive } from "../services/Checkpoint.js"
import { ProgramRunner } from "../services/ProgramRunner.js"
import { SkillDocsLive } from "../services/SkillDocs.js"
import { loadTasks } from "../tasks/TasksFile.js"
import { defaultTasksFile } from "./tasks.js"
import { providerOptions } from "./providerOptions.js"
import { runSession } from "./session.js"

const optionalText = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)

export const runOptions = {
  ilo: Options.text("ilo").pipe(
    Options.withFallbackConfig(Config.string("ILO")),
    Options.withDefault("ilo"),
    Options.withDescription("Path to the ilo binary (default: $ILO, else ilo).")
  ),
  retryCap: Options.integer("retry-cap").pipe(
    Options.withDefault(5),
    Options.withDescription("Most attempts (first + repairs) per run.")
  ),
  model: Options.text("model").pipe(
    Options.withDefault("both"),
    Options.withDescription("haiku, sonnet, both, or any model id.")
  ),
  task: optionalText("task", "Run only this task id."),
  lang2Name: optionalText("lang2-name", "Name of a second language to benchmark (e.g. python)."),
  lang2Bin: optionalText("lang2-bin", "Its CLI binary; programs run as `<bin> FILE`."),
  lang2Ext: Options.text("lang2-ext").pipe(
    Options.withDefault(".zero"),
    Options.withDescription("File extension of its programs.")
  ),
  lang2Docs: optionalText("lang2-docs", "A documentation file for the second language, sent in its prompt."),
  python: Options.boolean("python").pipe(
    Options.withDescription("Shorthand for --lang2-name python --lang2-bin python3 --lang2-ext .py.")
  ),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Print the tasks and exit; no model calls.")),
  outputDir: Options.text("output-dir").pipe(
    Options.withDefault("bench"),
    Options.withDescription("Where reports are written (created if missing).")
  ),
  tasksFile: optionalText("tasks-file", "Tasks file (default: the bundled bench/closed-loop/tasks.json)."),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDefault(4),
    Options.withDescription("Runs in flight at once.")
  ),
  maxTokens: Options.integer("max-tokens").pipe(
    Options.withDefault(1024),
    Options.withDescription("max_tokens of each model request.")
  ),
  requestTimeout: Options.float("request-timeout").pipe(
    Options.withDefault(90),
    Options.withDescription("Seconds before a model request is abandoned (and retried).")
  ),
  runTimeout: Options.float("run-timeout").pipe(
    Options.withDefault(20),
    Options.withDescription("Seconds a generated program may run.")
  ),
  apiRetries: Options.integer("api-retries").pipe(
    Options.withDefault(defaultRetryPolicy.retries),
    Options.withDescription("Retries of a failed model call (429, 5xx, timeout) before the run ends as error.")
  ),
  baseUrl: optionalText("base-url", "API base URL (default: $ANTHROPIC_BASE_URL or $OPENAI_BASE_URL, else the provider's)."),
  context: Options.text("context").pipe(
    Options.withDefault(DEFAULT_CONTEXT),
    Options.withDescription("Named set of ilo skill modules from skills/ilo/contexts.json.")
  ),
  allowLanguageNamed: Options.boolean("allow-language-named").pipe(
    Options.withDescription("Run tasks whose descriptions name a language (recorded in the report).")
  ),
  ...providerOptions,
  resume: optionalText("resume", "Finish an interrupted benchmark from its checkpoint (closed-loop-<stamp>.jsonl); give the same flags."),
  force: Options.boolean("force").pipe(
    Options.withDescription("With --resume: resume even if the configuration differs (the report says so).")
  ),
  retryErrors: Options.boolean("retry-errors").pipe(
    Options.withDescription("With --resume: run again the runs that ended in \"error\", even if the checkpoint is complete.")
  ),
  quiet: Options.boolean("quiet").pipe(
    Options.withDescription("No progress on stderr (stdout's lines are unchanged).")
  )
}

type RunOptions = Command.Command.ParseConfig<typeof runOptions>

const atLeastOne = (flag: string, value: number) =>
  Number.isFinite(value) && value >= 1
    ? Effect.void
    : Effect.fail(new InvalidFlag({ flag, reason: `must be at least 1, got ${value}` }))

const positive = (flag: string, value: number) =>
  Number.isFinite(value) && value > 0
    ? Effect.void
    : Effect.fail(new InvalidFlag({ flag, reason: `must be a positive number of seconds, got ${value}` }))

const validate = (o: RunOptions) =>
  Effect.all([
    atLeastOne("--retry-cap", o.retryCap),
    atLeastOne("--concurrency", o.concurrency),
    atLeastOne("--max-tokens", o.maxTokens),
    atLeastOne("--trials", o.trials),
    validateProviderFlags(o),
    positive("--request-timeout", o.requestTimeout),
    positive("--run-timeout", o.runTimeout),
    o.apiRetries >= 0 ? Effect.void : Effect.fail(new InvalidFlag({ flag: "--api-retries", reason: "must be 0 or more" })),
    o.model.trim() === "" ? Effect.fail(new InvalidFlag({ flag: "--model", reason: "must not be empty" })) : Effect.void,
    o.ilo.trim() === "" ? Effect.fail(new InvalidFlag({ flag: "--ilo", reason: "must not be empty" })) : Effect.void,
    Option.isNone(o.resume) && o.force ? Effect.fail(new InvalidFlag({ flag: "--force", reason: "only with --resume" })) : Effect.void,
    Option.isNone(o.resume) && o.retryErrors
      ? Effect.fail(new InvalidFlag({ flag: "--retry-errors", reason: "only with --resume" }))
      : Effect.void
  ], { discard: true })

/** The second language as the flags describe it, if any: --python fills what --lang2-* leave out. */
const secondLanguage = (o: RunOptions) => {
  const name = Option.getOrUndefined(o.lang2Name) ?? (o.python ? "python" : undefined)
  const bin = Option.getOrUndefined(o.lang2Bin) ?? (o.python ? "python3" : undefined)
  const ext = o.python && Option.isNone(o.lang2Name) ? ".py" : o.lang2Ext
  return name !== undefined && bin !== undefined ? { name, bin, ext } : undefined
}

export const runBenchmark = (o: RunOptions) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const runner = yield* ProgramRunner
    yield* validate(o)

    const tasksFile = Option.getOrElse(o.tasksFile, () => defaultTasksFile(path))
    const loaded = yield* loadTasks(tasksFile)
    let tasks = loaded.tasks
    if (Option.isSome(o.task)) {
      const id = o.task.value
      tasks = tasks.filter((t) => t.id === id)
      if (tasks.length === 0) return yield* new TaskNotFound({ id, file: tasksFile })
    }

    if (o.dryRun) {
      yield* Console.log("Tasks:")
      for (const t of tasks) {
        yield* Console.log(` [${t.id}] ${t.description.slice(0, 80)}...`)
        yield* Console.log(` expected: ${JSON.stringify(t.expected_output)}`)
      }
      return
    }

    const skillsDir = path.join(packageRoot, "skills", "ilo")
    const context = yield* resolveContext(path.join(skillsDir, "contexts.json"), o.context)
    const lang2 = secondLanguage(o)
    const { languages, skipped, iloVersion } = yield* resolveLegs({
      ilo: o.ilo,
      context,
      lang2,
      lang2Docs: Option.getOrUndefined(o.lang2Docs),
      langs: o.lang,
      catalogFile: path.join(packageRoot, "bench", "languages.json")
    })

    const named = findLanguageNames(tasks, languages.map((l) => l.name))
    if (named.length > 0 && !o.allowLanguageNamed)
      return yield* new LanguageNamed({ task: named[0]!.task, word: named[0]!.word, more: named.length - 1 })

    const llm = yield* selectLlm(o)
    const baseUrl = llm.baseUrl

    // Aliases (haiku, sonnet, both) are Anthropic's; any other provider takes the id as given.
    const models = o.provider === "anthropic" ? resolveModels(o.model) : [{ key: o.model, id: o.model }]
    const runs = plan(tasks, languages, models, o.trials)
    const settings: LoopSettings = {
      retryCap: o.retryCap,
      maxTokens: o.maxTokens,
      requestTimeout: Duration.seconds(o.requestTimeout),
      runTimeout: Duration.seconds(o.runTimeout),
      retryPolicy: { ...defaultRetryPolicy, retries: o.apiRetries },
      provider: o.provider,
      temperature: Option.getOrUndefined(o.temperature),
      thinkingBudget: Option.getOrUndefined(o.thinkingBudget)
    }
    const config: RunConfig = {
      harness_version: HARNESS_VERSION,
      provider: o.provider,
      base_url: baseUrl ?? null,
      ilo_version: iloVersion,
      tasks_file: tasksFile,
      tasks_sha256: loaded.sha256,
      task_filter: Option.getOrNull(o.task),
      languages: languages.map((l) => ({
        name: l.name,
        command: l.command,
        extension: l.extension,
        docs: docsLabel(l),
        version: l.version ?? null
      })),
      models,
      retry_cap: o.retryCap,
      max_tokens: o.maxTokens,
      request_timeout_s: o.requestTimeout,
      run_timeout_s: o.runTimeout,
      concurrency: o.concurrency,
      api_retries: o.apiRetries,
      prompt_layout: "seed",
      context: { name: context.name, modules: context.modules },
      allow_language_named: o.allowLanguageNamed,
      trials: o.trials,
      temperature: Option.getOrNull(o.temperature),
      thinking_budget: Option.getOrNull(o.thinkingBudget),
      cassette: { record: Option.getOrNull(o.record), replay: Option.getOrNull(o.replay), fallthrough: o.replayFallthrough }
    }
    yield* Console.log(headerLine(tasks.length, languages.length, models.length, o.retryCap))
    if (o.trials > 1) yield* Console.log(`Trials: ${o.trials} per task x language x model = ${runs.length} runs`)

    const { report, paths, resumeWith } = yield* Effect.scoped(
      runSession({
        runs,
        settings,
        concurrency: o.concurrency,
        config,
        languages,
        skipped,
        notes:
          named.length > 0 ? [`Run with --allow-language-named: ${named.map((n) => `${n.task} names '${n.word}'`).join(", ")}.`] : [],
        outputDir: o.outputDir,
        resume: Option.getOrUndefined(Option.map(o.resume, (path) => ({ path, force: o.force, retryErrors: o.retryErrors }))),
        progress: benchProgress(runs.length, progressMode(o.quiet, process.stderr.isTTY === true)),
        args: process.argv.slice(2)
      })
    ).pipe(
      Effect.provide(
        Layer.mergeAll(
          SkillDocsLive({ iloBin: o.ilo, skillsDir }),
          llm.layer,
          CheckpointLive
        ).pipe(Layer.provide(Layer.succeed(ProgramRunner, runner)))
      ),
      // A replay that lacks a request stops the whole run: it can no longer reproduce the recording.
      Effect.catchSomeDefect((defect) => (defect instanceof ReplayMiss ? Option.some(Effect.fail(defect)) : Option.none()))
    )
    const results = report.results
    yield* Console.log(pathsBlock(paths))
    yield* Console.log(summaryTable(results, runs.length))
    if (o.trials > 1) yield* Console.log(trialsSummary(results, o.trials))
    const truncated = results.reduce((n, r) => n + r.truncated_attempts, 0)
    if (truncated > 0)
      yield* Console.error(`WARNING: ${truncated} attempt(s) were cut at max_tokens (${o.maxTokens}); raise --max-tokens.`)
    const errors = results.filter((r) => r.final_outcome === "error").length
    if (errors > 0) {
      yield* Console.error(`${errors} run(s) ended in "error" (the model could not be reached). To run only them again:\n  ${resumeWith} --retry-errors`)
      setExitCode(ExitCode.someErrors)
    }
  })

export const runCommand = Command.make("run", runOptions, runBenchmark).pipe(
  Command.withDescription("Run the closed-loop benchmark: ask, run, compare, repair; write JSON, Markdown and HTML reports.")
)
