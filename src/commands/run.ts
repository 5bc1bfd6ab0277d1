import { Command, Options } from "@effect/cli"
import { Path } from "@effect/platform"
import { availableParallelism } from "node:os"
import { Config, Console, DateTime, Duration, Effect, Option } from "effect"
import { InvalidFlag, LanguageNamed, RunsEndedInError, TaskNotFound, TasksFileError } from "../domain/errors.js"
import { MODEL_ALIASES, resolveModels } from "../config/Model.js"
import type { Task } from "../domain/Task.js"
import type { RunConfig } from "../domain/RunConfig.js"
import type { LoopSettings } from "../loop/ClosedLoop.js"
import { DEFAULT_CONTEXT, resolveContext } from "../config/Contexts.js"
import { docsLabel, resolveLegs } from "../config/Legs.js"
import { findLanguageNames } from "../tasks/LanguageNames.js"
import { makeBudget } from "../loop/Budget.js"
import { plan } from "../loop/Plan.js"
import { alignedLayout, seedLayout } from "../loop/Prompts.js"
import { defaultRetryPolicy } from "../loop/Policy.js"
import { packageRoot, HARNESS_VERSION } from "../platform/paths.js"
import { selectLlm } from "../providers/Select.js"
import { decodeRunFlags } from "../config/RunFlags.js"
import { costSummary } from "../report/Cost.js"
import { causeCounts, pyPrefix, pyRepr } from "../report/format.js"
import { benchProgress, progressMode } from "../report/LiveProgress.js"
import { headerLine, pathsBlock, summaryTable } from "../report/Summary.js"
import { trialsSummary } from "../report/Trials.js"
import { verdictBlock } from "../report/Verdict.js"
import { loadCatalog, retiredModels } from "../config/ModelCatalog.js"
import { sandboxRecord } from "../services/ProgramRunner.js"
import * as SkillDocs from "../services/SkillDocs.js"
import { emptyExpected, loadTasks } from "../tasks/TasksFile.js"
import { defaultTasksFile } from "./tasks.js"
import { providerOptions } from "./providerOptions.js"
import { sandboxFromFlags, sandboxOptions } from "./sandboxOptions.js"
import * as Bench from "../session/Bench.js"
import { runSession, type SessionOutcome } from "../session/Session.js"
import { choice, defaulting, optionalText } from "./optionHelpers.js"
import { recordableUrl } from "../platform/secrets.js"
import { didYouMean, looksLikeModelId, nearest } from "./suggest.js"
import { planLines } from "./dryRun.js"
import { invokedAs } from "../report/ResumeHint.js"
import { EndpointUnusable } from "../providers/StopEarly.js"
import { resolveShard, shardLabel, shardOfKey } from "../config/Shard.js"
import { specKey } from "../loop/Plan.js"

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
  baseline: Options.text("baseline").pipe(
    Options.withDescription("The language the verdict divides the others' spend by (default: ilo)."),
    Options.withDefault("ilo")
  )
}

type RunOptions = Command.Command.ParseConfig<typeof runOptions>

/** The tasks --task and --category keep (all without either); a name that matches nothing is refused with the nearest one. */
const selectTasks = (all: ReadonlyArray<Task>, ids: ReadonlyArray<string>, categories: ReadonlyArray<string>, file: string) =>
  Effect.gen(function* () {
    const known = all.map((t) => t.id)
    for (const id of ids) if (!known.includes(id)) return yield* new TaskNotFound({ id, file, suggestion: nearest(id, known) })
    const knownCategories = [...new Set(all.flatMap((t) => (t.category !== undefined ? [t.category] : [])))]
    for (const c of categories)
      if (!knownCategories.includes(c))
        return yield* new InvalidFlag({
          flag: "--category",
          reason: `no task of category '${c}' in ${file}${didYouMean(c, knownCategories)}${knownCategories.length > 0 ? ` (categories: ${knownCategories.join(", ")})` : ""}`
        })
    if (ids.length === 0 && categories.length === 0) return all
    return all.filter((t) => ids.includes(t.id) || (t.category !== undefined && categories.includes(t.category)))
  })

/** How the report records the selection: null for every task (the seed's one id stays one id). */
const taskFilter = (ids: ReadonlyArray<string>, categories: ReadonlyArray<string>) =>
  ids.length === 0 && categories.length === 0 ? null : [...ids, ...categories.map((c) => `category:${c}`)].join(",")

/**
 * --model for Anthropic: an alias of the catalog (or both) or something shaped like a model id;
 * "haikuu" is neither and would only fail at the first request.
 */
const checkModelName = (name: string, aliases: ReadonlyArray<string>) =>
  name === "both" || aliases.includes(name) || looksLikeModelId(name)
    ? Effect.void
    : Effect.fail(
        new InvalidFlag({
          flag: "--model",
          reason: `unknown model '${name}'${didYouMean(name, ["both", ...aliases])} (an alias: ${[...new Set(["both", ...aliases])].join(", ")}; or a model id such as claude-haiku-4-5)`
        })
      )

export const runBenchmark = (options: RunOptions) =>
  Effect.gen(function* () {
    const o = yield* decodeRunFlags(options)
    const path = yield* Path.Path
    const shard = resolveShard(Option.getOrUndefined(o.shard), Option.getOrUndefined(o.shards), process.env)
    if (shard instanceof InvalidFlag) return yield* shard

    const tasksFile = Option.getOrElse(o.tasksFile, () => defaultTasksFile(path))
    const loaded = yield* loadTasks(tasksFile)
    const tasks = yield* selectTasks(loaded.tasks, o.task, o.category, tasksFile)
    const empty = emptyExpected(tasks)
    if (empty.length > 0)
      return yield* new TasksFileError({
        file: tasksFile,
        reason: `task '${empty[0]!.id}'${empty.length > 1 ? ` (and ${empty.length - 1} more)` : ""}: expected_output is empty, so a program printing nothing would pass (\`ilo-bench tasks --check\` lists every problem)`
      })

    const skillsDir = path.join(packageRoot, "skills", "ilo")
    const context = yield* resolveContext(path.join(skillsDir, "contexts.json"), o.context)
    const lang2 = o.secondLanguage
    const { languages, skipped, iloVersion } = yield* resolveLegs({
      ilo: o.ilo,
      context,
      lang2,
      lang2Docs: Option.getOrUndefined(o.lang2Docs),
      langs: o.lang,
      catalogFile: path.join(packageRoot, "bench", "languages.json"),
      // A dry run needs no ilo: it checks what it can without starting a binary.
      probe: !o.dryRun
    })

    if (![...languages.map((l) => l.name), ...skipped.map((s) => s.name), "ilo"].includes(o.baseline))
      return yield* new InvalidFlag({ flag: "--baseline", reason: `'${o.baseline}' is not a language of this run (${languages.map((l) => l.name).join(", ")})` })
    const named = findLanguageNames(tasks, languages.map((l) => l.name))
    if (named.length > 0 && !o.allowLanguageNamed)
      return yield* new LanguageNamed({ task: named[0]!.task, word: named[0]!.word, more: named.length - 1 })

    const catalogFile = path.join(packageRoot, "bench", "models.json")
    const catalog = yield* loadCatalog(catalogFile)
    // Each provider's aliases are the catalog's entries for it (haiku, sonnet and both are Anthropic's,
    // dsflash an OpenAI-compatible server's); any other name is taken as the model id.
    const aliases = Object.fromEntries(catalog.entries.filter((e) => e.provider === o.provider).map((e) => [e.alias, e.id]))
    // Anthropic's names are its aliases or ids; another provider takes the id as given.
    if (o.provider === "anthropic") yield* checkModelName(o.model, [...Object.keys(MODEL_ALIASES), ...Object.keys(aliases)])
    const models =
      o.provider === "anthropic"
        ? resolveModels(o.model, aliases)
        : [{ key: o.model, id: aliases[o.model] ?? o.model }]
    const today = DateTime.formatIso(yield* DateTime.now).slice(0, 10)
    const retired = retiredModels(catalog, models.map((m) => m.id), today)
    const layout = o.align ? alignedLayout : seedLayout

    if (o.dryRun) {
      // The seed's task list, unchanged, then the plan: what the benchmark would run and cost at most.
      yield* Console.log("Tasks:")
      for (const t of tasks) {
        yield* Console.log(`  [${t.id}] ${pyPrefix(t.description, 80)}...`)
        yield* Console.log(`          expected: ${pyRepr(t.expected_output)}`)
      }
      const lines = yield* planLines({ tasks, languages, models, trials: o.trials, retryCap: o.retryCap, maxTokens: o.maxTokens, layout, priceOf: catalog.priceOf, retired }).pipe(
        Effect.provide(SkillDocs.layer({ iloBin: o.ilo, skillsDir, relativeTo: packageRoot }))
      )
      yield* Console.log(lines.join("\n"))
      return
    }

    const llm = yield* selectLlm(o)
    const baseUrl = llm.baseUrl
    const sandbox = yield* sandboxFromFlags(o)

    const unpriced = models.filter((m) => catalog.priceOf(m.id) === undefined).map((m) => m.id)
    if (Option.isSome(o.maxCost) && unpriced.length > 0)
      return yield* new InvalidFlag({ flag: "--max-cost", reason: `no list price for ${unpriced.join(", ")} in ${catalogFile}` })
    for (const r of retired) yield* Console.error(`WARNING: ${r.id} was retired on ${r.retires}; requests to it are likely to fail.`)
    if (unpriced.length > 0) yield* Console.error(`WARNING: no list price for ${unpriced.join(", ")}; its cost is reported as n/a.`)
    const planned = plan(tasks, languages, models, o.trials)
    // A shard keeps the plan's indices: its runs are reported in the whole benchmark's order.
    const runs = shard === undefined ? planned : planned.filter((spec) => shardOfKey(specKey(spec), shard.count) === shard.index)
    const settings: LoopSettings = {
      retryCap: o.retryCap,
      maxTokens: o.maxTokens,
      requestTimeout: Duration.seconds(o.requestTimeout),
      runTimeout: Duration.seconds(o.runTimeout),
      retryPolicy: { ...defaultRetryPolicy, retries: o.apiRetries },
      provider: o.provider,
      temperature: Option.getOrUndefined(o.temperature),
      thinkingBudget: Option.getOrUndefined(o.thinkingBudget),
      layout,
      cache: o.cache,
      priceOf: catalog.priceOf,
      confirm: o.confirm
    }
    const config: RunConfig = {
      harness_version: HARNESS_VERSION,
      provider: o.provider,
      // The URL may carry credentials (user:password@host, ?key=...): never recorded.
      base_url: baseUrl === null ? null : recordableUrl(baseUrl),
      ilo_version: iloVersion,
      tasks_file: tasksFile,
      tasks_sha256: loaded.sha256,
      task_filter: taskFilter(o.task, o.category),
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
      prompt_layout: layout.name,
      context: { name: context.name, modules: context.modules },
      allow_language_named: o.allowLanguageNamed,
      trials: o.trials,
      confirm: o.confirm,
      temperature: Option.getOrNull(o.temperature),
      thinking_budget: Option.getOrNull(o.thinkingBudget),
      cassette: { record: Option.getOrNull(o.record), replay: Option.getOrNull(o.replay), fallthrough: o.replayFallthrough },
      prompt_cache: o.cache,
      max_cost_usd: Option.getOrNull(o.maxCost),
      rpm: Option.getOrNull(o.rpm),
      program_concurrency: o.programConcurrency,
      sandbox: sandboxRecord(sandbox, o.runTimeout),
      ...(shard === undefined ? {} : { shard: { index: shard.index, count: shard.count, from: shard.from, total_runs: planned.length } }),
      prices: Object.fromEntries(models.map((m) => [m.id, catalog.priceOf(m.id) ?? null]))
    }

    const progress = benchProgress(runs.length, progressMode(o.quiet, process.stderr.isTTY === true))
    const budget = Option.isSome(o.maxCost) ? yield* makeBudget(o.maxCost.value, o.concurrency, catalog.priceOf) : undefined
    const printSummary = ({ report, paths, resumeWith }: SessionOutcome) =>
      Effect.gen(function* () {
        const results = report.results
        yield* Console.log(pathsBlock(paths))
        yield* Console.log(summaryTable(results, runs.length, o.trials))
        if (o.trials > 1) yield* Console.log(trialsSummary(results, o.trials))
        yield* Console.log(costSummary(results))
        if (report.analysis !== undefined) yield* Console.log(`\n${verdictBlock(report.analysis)}`)
        if (!report.complete && results.length < runs.length)
          yield* Console.error(`WARNING: --max-cost reached; ${runs.length - results.length} run(s) were not started.`)
        const truncated = results.reduce((n, r) => n + r.truncated_attempts, 0)
        if (truncated > 0)
          yield* Console.error(`WARNING: ${truncated} attempt(s) were cut at max_tokens (${o.maxTokens}); raise --max-tokens.`)
        const errors = results.filter((r) => r.final_outcome === "error")
        if (errors.length > 0) {
          const causes = causeCounts(errors.flatMap((r) => (r.api_error ? [r.api_error] : [])))
          yield* Console.error(`${errors.length} run(s) ended in "error": the model API gave no reply (${causes}). To run only them again:\n  ${resumeWith} --retry-errors`)
        }
      })
    const outcome = yield* Effect.scoped(
      runSession({
        runs,
        settings,
        // Runs under way: two per model slot (the RateGate bounds model requests) and one per
        // program slot. When a wave of replies lands, a full wave of runs is already waiting at the
        // gate to send the next requests while the programs run. Every reply is in the checkpoint
        // as it lands, so an interrupt or a crash loses only the requests in flight, however many
        // runs are under way.
        concurrency: 2 * o.concurrency + o.programConcurrency,
        config,
        languages,
        skipped,
        notes: [
          ...(named.length > 0
            ? [`Run with --allow-language-named: ${named.map((n) => `${n.task} names '${n.word}'`).join(", ")}.`]
            : []),
          ...retired.map((r) => `${r.id} was retired on ${r.retires} (model catalog checked ${catalog.checked}).`),
          ...(unpriced.length > 0 ? [`No list price for ${unpriced.join(", ")} in the model catalog: its cost is n/a.`] : []),
          ...(shard === undefined
            ? []
            : [`Shard ${shardLabel(shard)} (${shard.from}): ${runs.length} of the benchmark's ${planned.length} planned runs; \`ilo-bench report\` given every shard's checkpoint or JSON report merges them.`])
        ],
        outputDir: o.outputDir,
        ...(shard === undefined
          ? {}
          : { stampSuffix: `-shard-${shard.index}of${shard.count}`, planTasks: tasks.map((t) => t.id) }),
        resume: Option.getOrUndefined(Option.map(o.resume, (path) => ({ path, force: o.force, retryErrors: o.retryErrors }))),
        banner: [
          headerLine(tasks.length, languages.length, models.length, o.retryCap, o.trials),
          ...(shard === undefined ? [] : [`Shard ${shardLabel(shard)} (${shard.from}): ${runs.length} of these ${planned.length} runs.`])
        ],
        progress,
        budget: budget && { ...budget, maxCostUsd: Option.getOrNull(o.maxCost) },
        args: process.argv.slice(2),
        baseline: o.baseline,
        invokedAs: invokedAs(),
        finished: printSummary
      })
    ).pipe(
      Effect.provide(
        Bench.layer(o, llm.layer, {
          skills: { dir: skillsDir, relativeTo: packageRoot },
          sandbox,
          commands: languages.map((l) => l.command),
          endpoint: {
            url: recordableUrl(baseUrl ?? (o.provider === "anthropic" ? "https://api.anthropic.com" : "https://api.openai.com/v1")),
            keyVariable: o.provider === "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"
          }
        })
      ),
      // An endpoint that cannot answer (a refused key, an unknown model) stops the whole run.
      Effect.catchSomeDefect((defect) => (defect instanceof EndpointUnusable ? Option.some(Effect.fail(defect)) : Option.none()))
    )
    const errors = outcome.report.results.filter((r) => r.final_outcome === "error").length
    if (errors > 0) return yield* new RunsEndedInError({ count: errors })
  })

export const runCommand = Command.make("run", runOptions, runBenchmark).pipe(
  Command.withDescription("Run the closed-loop benchmark: ask, run, compare, repair; write JSON, Markdown and HTML reports.")
)
