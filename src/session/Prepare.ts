import { Path } from "@effect/platform"
import { Console, DateTime, Duration, Effect, Option } from "effect"
import { didYouMean, looksLikeModelId, nearest } from "../commands/suggest.js"
import { planLines } from "../commands/dryRun.js"
import { sandboxFromFlags } from "../commands/sandboxOptions.js"
import { defaultTasksFile } from "../commands/tasks.js"
import { resolveContext } from "../config/Contexts.js"
import { docsLabel, resolveLegs } from "../config/Legs.js"
import { MODEL_ALIASES, resolveModels } from "../config/Model.js"
import { loadCatalog, retiredModels } from "../config/ModelCatalog.js"
import type { RunFlags } from "../config/RunFlags.js"
import { resolveShard, shardLabel, shardOfKey } from "../config/Shard.js"
import { InvalidFlag, LanguageNamed, TaskNotFound, TasksFileError } from "../domain/errors.js"
import type { RunConfig } from "../domain/RunConfig.js"
import type { Task } from "../domain/Task.js"
import { makeBudget } from "../loop/Budget.js"
import type { LoopSettings } from "../loop/ClosedLoop.js"
import { plan, runKey, specKey } from "../loop/Plan.js"
import { defaultRetryPolicy } from "../loop/Policy.js"
import { alignedLayout, seedLayout } from "../loop/Prompts.js"
import { HARNESS_VERSION, packageRoot } from "../platform/paths.js"
import { recordableUrl } from "../platform/secrets.js"
import { selectLlm } from "../providers/Select.js"
import { pyPrefix, pyRepr } from "../report/format.js"
import { benchProgress, progressMode, stderrIo } from "../report/LiveProgress.js"
import { invokedAs } from "../report/ResumeHint.js"
import { headerLine } from "../report/Summary.js"
import { sandboxRecord } from "../services/ProgramRunner.js"
import * as SkillDocs from "../services/SkillDocs.js"
import { findLanguageNames } from "../tasks/LanguageNames.js"
import { emptyExpected, loadTasks } from "../tasks/TasksFile.js"
import type { BenchOptions } from "./Bench.js"
import type { SessionInput } from "./Session.js"

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

/**
 * Everything a benchmark needs before it starts, resolved from its flags: the shard, the tasks,
 * the language legs, the models and their prices, the sandbox, the plan, and the configuration its
 * reports record. A dry run prints the tasks and the plan and gives undefined.
 */
export const prepareRun = (o: RunFlags) =>
  Effect.gen(function* () {
    // Checks that need no file are RunFlags' schema filters; these need the tasks file, the catalogs or the environment.
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
      // The same choice the run makes (auto probes bwrap), so the plan names the interpreters the sandbox would run.
      const sandbox = yield* sandboxFromFlags(o)
      const lines = yield* planLines({ tasks, languages, models, trials: o.trials, retryCap: o.retryCap, maxTokens: o.maxTokens, layout, priceOf: o.batch ? catalog.batchPriceOf : catalog.priceOf, batch: o.batch, retired, sandbox, runTimeoutS: o.runTimeout, lang2: lang2?.name,
        // --shard: the runs and the cost of this shard (--max-cost is per shard).
        shard: shard === undefined ? undefined : { label: `${shardLabel(shard)} (${shard.from})`, has: (task, language, model, trial) => shardOfKey(runKey({ task: task.id, language: language.name, model: model.key, trial }), shard.count) === shard.index } }).pipe(
        Effect.provide(SkillDocs.layer({ iloBin: o.ilo, skillsDir, relativeTo: packageRoot }))
      )
      yield* Console.log(lines.join("\n"))
      return undefined
    }

    // --batch: every cost is at the batch price (the catalog's, per model).
    const priceOf = o.batch ? catalog.batchPriceOf : catalog.priceOf
    const llm = yield* selectLlm(o)
    const baseUrl = llm.baseUrl
    const sandbox = yield* sandboxFromFlags(o)

    const unpriced = models.filter((m) => priceOf(m.id) === undefined).map((m) => m.id)
    if (Option.isSome(o.maxCost) && unpriced.length > 0)
      return yield* new InvalidFlag({ flag: "--max-cost", reason: `no list price for ${unpriced.join(", ")} in ${catalogFile}` })
    for (const r of retired) yield* Console.error(`WARNING: ${r.id} was retired on ${r.retires}; requests to it are likely to fail.`)
    if (unpriced.length > 0)
      yield* Console.error(`WARNING: no ${o.batch ? "batch" : "list"} price for ${unpriced.join(", ")}; its cost is reported as n/a.`)
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
      priceOf,
      confirm: o.confirm,
      ...(o.batch ? { batch: true } : {})
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
      ...(o.batch ? { batch: true } : {}),
      ...(Option.isSome(o.countTokens) ? { count_tokens: o.countTokens.value } : {}),
      max_cost_usd: Option.getOrNull(o.maxCost),
      rpm: Option.getOrNull(o.rpm),
      program_concurrency: o.programConcurrency,
      sandbox: sandboxRecord(sandbox, o.runTimeout),
      ...(shard === undefined ? {} : { shard: { index: shard.index, count: shard.count, from: shard.from, total_runs: planned.length } }),
      prices: Object.fromEntries(models.map((m) => [m.id, priceOf(m.id) ?? null]))
    }

    const progress = benchProgress(runs.length, progressMode(o.quiet, process.stderr.isTTY === true), stderrIo, o.trials)
    const budget = Option.isSome(o.maxCost) ? yield* makeBudget(o.maxCost.value, o.concurrency, catalog.priceOf) : undefined
    const session = {
      runs,
      settings,
      // Runs under way: two per model slot (the RateGate bounds model requests) and one per
      // program slot. When a wave of replies lands, a full wave of runs is already waiting at the
      // gate to send the next requests while the programs run. Every reply is in the checkpoint
      // as it lands, so an interrupt or a crash loses only the requests in flight, however many
      // runs are under way.
      // --batch: every run at once, so that attempt k of each goes in one wave (programs stay bounded).
      concurrency: o.batch ? Math.max(1, runs.length) : 2 * o.concurrency + o.programConcurrency,
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
      invokedAs: invokedAs()
    } satisfies Omit<SessionInput, "finished">
    const bench: BenchOptions = {
      skills: { dir: skillsDir, relativeTo: packageRoot },
      sandbox,
      commands: languages.map((l) => l.command),
      endpoint: {
        url: recordableUrl(baseUrl ?? (o.provider === "anthropic" ? "https://api.anthropic.com" : "https://api.openai.com/v1")),
        keyVariable: o.provider === "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"
      },
      counter: llm.counter
    }
    return { session, llm: llm.source, bench }
  })
