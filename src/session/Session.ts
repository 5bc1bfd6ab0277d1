import { rmSync } from "node:fs"
import { Path } from "@effect/platform"
import { Cause, Console, DateTime, Effect, Option } from "effect"
import { ReplayMiss } from "../domain/Cassette.js"
import { EndpointUnusable } from "../providers/StopEarly.js"
import { customIdsDigest } from "../providers/Batch.js"
import { CHECKPOINT_FORMAT } from "../domain/Checkpoint.js"
import { underWay } from "../platform/exitNow.js"
import { CheckpointMismatch, OutputError } from "../domain/errors.js"
import type { CheckpointAsked, CheckpointBatch, CheckpointReply, CheckpointStarted } from "../domain/Checkpoint.js"
import type { Language } from "../domain/Language.js"
import type { RunResult } from "../domain/Result.js"
import type { RunConfig } from "../domain/RunConfig.js"
import { runAll } from "../loop/AllRuns.js"
import { budgetNote, type Budget } from "../loop/Budget.js"
import { BenchEvents, listen } from "../loop/Events.js"
import type { LoopSettings } from "../loop/ClosedLoop.js"
import { runKey, specKey, type RunSpec } from "../loop/Plan.js"
import { languageContext } from "../loop/Prompts.js"
import * as DocumentationTokens from "./DocumentationTokens.js"
import { configDifferences, decodeRecorded, KeptRuns, keptInMemory, keptReader, planResumeOf, Recorded, type ResumePlan } from "./Resume.js"
import { HARNESS, skillProvenance, type Report } from "../report/Json.js"
import { distinct } from "../report/format.js"
import { resultNotes, startNotes, unansweredNotes } from "../report/Notes.js"
import { claimReportPaths, removeStaleWrites, reportPathsOfCheckpoint, type ReportPaths } from "../report/Output.js"
import type { Progress } from "../report/LiveProgress.js"
import { seedProgress } from "../report/Progress.js"
import { resumeCommand, shellQuote } from "../report/ResumeHint.js"
import { writeReports } from "../report/Write.js"
import { survivalAnalysis, type SurvivalRow } from "../report/Survival.js"
import { censusEntries } from "../report/Census.js"
import { releaseVocabularies } from "../services/Tokenizers.js"
import * as ProgramTokens from "../services/ProgramTokens.js"
import { TokenCounter } from "../services/TokenCounter.js"
import type { CheckpointCount } from "../domain/Checkpoint.js"
import { Checkpoint, type CheckpointWriter, type LineAt } from "../services/Checkpoint.js"
import { ProgramRunner } from "../services/ProgramRunner.js"
import { SkillDocs } from "../services/SkillDocs.js"
import { Waves } from "../services/Waves.js"
import { HARNESS_VERSION } from "../platform/paths.js"
import { readRuns, RunPlaces } from "../services/RunsOnDisk.js"

export interface ResumeRequest {
  /** The checkpoint (.jsonl) to finish. */
  readonly path: string
  /** Resume even if the configuration differs (the report says so). */
  readonly force: boolean
  /** Run again the runs that ended in "error", even in a checkpoint that holds every run. */
  readonly retryErrors: boolean
}

export interface SessionInput {
  readonly runs: ReadonlyArray<RunSpec>
  readonly settings: LoopSettings
  readonly concurrency: number
  readonly config: RunConfig
  readonly languages: ReadonlyArray<Language>
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>
  /** Notes the command knows of (e.g. an override it was given), for the report. */
  readonly notes?: ReadonlyArray<string> | undefined
  /** Where a new benchmark's checkpoint and reports go. */
  readonly outputDir: string
  /** After the date in their names (a shard's `-shard-2of3`). */
  readonly stampSuffix?: string | undefined
  /** The benchmark's task ids in the plan's order, where `runs` is only part of it (a shard). */
  readonly planTasks?: ReadonlyArray<string> | undefined
  readonly resume?: ResumeRequest | undefined
  /** --max-cost: which runs may start, what it counts, and how many runs it turned away, for the report. */
  readonly budget?: (Budget & { readonly maxCostUsd: number | null }) | undefined
  /** The stdout lines that open the run (the seed's header), printed once the checkpoint is open. */
  readonly banner?: ReadonlyArray<string> | undefined
  /** What the user sees while runs go (default: the seed's lines). */
  readonly progress?: Progress | undefined
  /** The command-line arguments, to tell the user how to resume. */
  readonly args: ReadonlyArray<string>
  /** The language the others' spend is divided by in the report's verdict (default ilo). */
  readonly baseline?: string | undefined
  /** The words that started the command (`npx ilo-bench`, `node dist/bin.js`): the resume hint starts with them. */
  readonly invokedAs?: ReadonlyArray<string> | undefined
  /** What the command prints once the reports are written (not interrupted, as they are not). */
  readonly finished?: ((outcome: SessionOutcome) => Effect.Effect<void>) | undefined
}

export interface SessionOutcome {
  readonly report: Report
  readonly paths: ReportPaths
  /** The command that would finish this benchmark from its checkpoint. */
  readonly resumeWith: string
  /** --max-cost stopped starting runs because a reply's cost was unknown, not because the money was spent. */
  readonly costUnknown?: boolean | undefined
}

/** The seed's lines and nothing more; `trials`: the most any run has. */
const seedOnly = (total: number, trials: number): Progress => {
  const seed = seedProgress(total, trials)
  return { listener: seed.listener, kept: seed.runFinished, track: (effect) => effect, status: () => "" }
}

/**
 * The finished runs in the plan's order: those written to the checkpoint read back from it (a
 * resume's kept runs decoded as reading the checkpoint decodes them), the others (kept from a
 * checkpoint read in memory, or written by a writer that cannot say where a line went) as held.
 */
const inOrder = (runs: ReadonlyArray<RunSpec>, inMemory: ReadonlyMap<number, RunResult>, onDisk: RunPlaces, kept: KeptRuns): Array<RunResult> => {
  const places: Array<LineAt> = []
  /** Which of the places are kept runs'. */
  const keptAt: Array<boolean> = []
  /** A run held in memory, or undefined for the next one read from the checkpoint. */
  const slots: Array<RunResult | undefined> = []
  for (const spec of runs) {
    // A resume appends to the checkpoint it read: its kept runs' lines are where they were.
    const at = onDisk.get(spec.index) ?? kept.place(spec.index)
    if (at !== undefined) {
      places.push(at)
      keptAt.push(kept.has(spec.index))
      slots.push(undefined)
      continue
    }
    const held = inMemory.get(spec.index)
    if (held !== undefined) slots.push(held)
  }
  if (places.length === 0) return slots as Array<RunResult>
  // One pass over the file for the runs of one checkpoint (a benchmark writes one).
  const read = readRuns(onDisk.path, places, undefined, (result, i) => (keptAt[i] ? decodeRecorded(result) : result))
  let next = 0
  return slots.map((r) => r ?? read[next++]!)
}

const survivalRow = (r: RunResult): SurvivalRow => ({
  task: r.task,
  language: r.language,
  model: r.model,
  final_outcome: r.final_outcome,
  input_tokens: r.input_tokens,
  generation_tokens: r.generation_tokens,
  cost_usd: r.cost_usd
})

/**
 * One benchmark that loses nothing: each model reply and each finished run goes to the checkpoint
 * before the next line is written; an interrupt (Ctrl-C, SIGTERM), or an error that stops the runs,
 * ends the runs in flight and writes partial reports of what finished; a resume runs only what the checkpoint lacks, and
 * continues an unfinished run from the replies recorded for it.
 */
export const runSession = (input: SessionInput) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const checkpoint = yield* Checkpoint
    const { runs } = input

    // Every skill module is fetched before the first run, so the checkpoint's header can name them.
    // Their tokens too, for the census; counted as the runs start, or when a report is made: loading
    // the vocabularies must not delay a resume's check of the checkpoint.
    const docTexts = yield* Effect.forEach(input.languages, (l) => Effect.map(languageContext(l), (text) => [l.name, text] as const))
    const skills = skillProvenance(yield* Effect.flatMap(SkillDocs, (docs) => docs.loaded))
    const started = DateTime.formatIso(yield* DateTime.now)

    let paths: ReportPaths
    let writer: CheckpointWriter
    let plan: ResumePlan = { kept: new KeptRuns(undefined), todo: runs, errorsRerun: 0, continued: 0, repliesReused: 0, wasComplete: false }
    const resumeNotes: Array<string> = []
    /** --batch: the batches earlier sessions submitted, polled again rather than paid for twice. */
    let batchesBefore: ReadonlyArray<CheckpointBatch> = []
    let knownCounts: ReadonlyArray<CheckpointCount> = []
    /** Requests earlier sessions sent whose reply an interrupt lost (their cost is unknown). */
    let unansweredBefore = 0
    // Known before any run; the checkpoint keeps them too, for a report made from it.
    const beginNotes = [...startNotes(input.skipped, skills), ...(input.notes ?? [])]
    if (input.resume !== undefined) {
      const { path: file, force, retryErrors } = input.resume
      // Its runs, replies and programs as places in the file, read back as the plan needs them.
      const recorded = new Recorded(runs, file)
      const contents = yield* checkpoint.read(file, recorded.visitor)
      const differences = configDifferences(contents.header, { config: input.config, skills })
      if (differences.length > 0 && !force) return yield* new CheckpointMismatch({ path: file, differences })
      if (differences.length > 0)
        yield* Console.error(`WARNING: --force: resuming although the configuration differs: ${differences.join("; ")}`)
      paths = reportPathsOfCheckpoint(file, path)
      yield* removeStaleWrites(paths)
      writer = yield* checkpoint.reopen(file, contents)
      yield* writer.append({ type: "resume", at: started, forced: differences, retry_errors: retryErrors, planned_runs: runs.length })
      plan = planResumeOf(runs, recorded, retryErrors)
      batchesBefore = contents.batches ?? []
      knownCounts = contents.counts ?? []
      unansweredBefore = contents.unanswered ?? 0
      const { errorsRerun, continued, repliesReused } = plan
      const replies = `${repliesReused} recorded ${repliesReused === 1 ? "reply" : "replies"}`
      const also = [
        ...(errorsRerun > 0 ? [`${errorsRerun} that ended in "error" run again`] : []),
        ...(continued > 0 ? [`${continued} ${continued === 1 ? "continues" : "continue"} from ${replies}`] : []),
        ...((plan.killedHarness ?? 0) > 0
          ? [`${plan.killedHarness} program(s) that were running both times ilo-bench was killed are not run again and count as failed attempts`]
          : [])
      ]
      yield* Console.error(
        `Resuming ${file}: ${plan.kept.size} of ${runs.length} runs already finished, ${plan.todo.length} to run` +
          (also.length > 0 ? ` (${also.join("; ")}).` : ".")
      )
      for (const note of unansweredNotes(unansweredBefore)) yield* Console.error(`WARNING: ${note}`)
      const why = [
        ...(errorsRerun > 0 ? [`${errorsRerun} of them because they had ended in "error"`] : []),
        ...(continued > 0 ? [`${continued} of them continuing from ${replies}, which the model was not asked for again`] : [])
      ]
      resumeNotes.push(
        `Resumed from its checkpoint: ${plan.kept.size} run(s) finished earlier were kept and not asked again; ${plan.todo.length} run(s) were run on resume` +
          (why.length > 0 ? `, ${why.join("; ")}.` : ".")
      )
      const forced = [...contents.resumes.flatMap((r) => r.forced), ...differences]
      if (forced.length > 0)
        resumeNotes.push(`Resumed with --force although the configuration differed from the checkpoint's: ${forced.join("; ")}.`)
    } else {
      paths = yield* claimReportPaths(input.outputDir, started.slice(0, 10), input.stampSuffix)
      writer = yield* checkpoint.begin(paths.jsonl, {
        type: "header",
        format: CHECKPOINT_FORMAT,
        started,
        harness_version: HARNESS_VERSION,
        config: input.config,
        skills,
        planned_runs: runs.length,
        tasks: input.planTasks ?? distinct(runs.map((r) => r.task.id)),
        notes: beginNotes
      })
    }
    // Only now: a resume that is refused has printed nothing on stdout.
    for (const line of input.banner ?? []) yield* Console.log(line)
    const resumeWith = resumeCommand(input.args, paths.jsonl, [], input.invokedAs)
    underWay.resumeWith = resumeWith

    const order = { languages: input.config.languages.map((l) => l.name), models: input.config.models.map((m) => m.key) }
    // --count-tokens anthropic: programs and documentation counted by the provider's endpoint too,
    // each text once per model; what the checkpoint already holds is not asked for again.
    const counter = yield* Effect.serviceOption(TokenCounter)
    const endpointTokens = Option.isNone(counter)
      ? undefined
      : yield* ProgramTokens.make(counter.value, {
          known: knownCounts,
          // A count not written loses only a cache: a resume asks for it again.
          journal: (line) => Effect.ignore(writer.append(line)),
          retry: input.settings.retryPolicy
        })
    const documentation = yield* DocumentationTokens.make(docTexts, input.config.models, endpointTokens)
    const countingNotes = Effect.gen(function* () {
      const failed = endpointTokens === undefined ? 0 : yield* endpointTokens.failures
      return failed === 0
        ? []
        : [
            `--count-tokens ${endpointTokens?.tokenizer}: the token counting endpoint could not count ${failed} text(s) (programs, documentation or the framing); ` +
              `their ${endpointTokens?.tokenizer} counts are null, "unknown" in the census, and sums that include one are unknown too.`
          ]
    })
    // A finished run stays in its checkpoint line, only its place held, and is read back for the
    // reports, so that memory does not grow with the runs of a long benchmark. Held whole, by plan
    // index, only where no line has a place: a resume's kept runs from a checkpoint read in memory,
    // and this session's runs when the writer gives none. Updated in place as runs finish (a copy
    // per run would be O(n^2) garbage over a long benchmark).
    const inMemory = keptInMemory(plan.kept)
    const onDisk = new RunPlaces(writer.path)
    /** A resume's kept runs read from their lines (those in `inMemory` aside). */
    const keptOnDisk = plan.kept.size - inMemory.size
    const appendRun = writer.appendLocated
    const record = (spec: RunSpec, result: RunResult): Effect.Effect<void, OutputError> =>
      appendRun === undefined
        ? Effect.map(writer.append({ type: "run", result }), () => void inMemory.set(spec.index, result))
        : Effect.map(appendRun({ type: "run", result }), (at) => onDisk.set(spec.index, at))
    /** This session's requests sent and not yet answered, by run (a run has one in flight at a time). */
    const inFlight = new Map<string, number>()
    const report = (complete: boolean, extraNotes: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const results = inOrder(runs, inMemory, onDisk, plan.kept)
        const docTokens = yield* documentation.tokens
        const counted = yield* countingNotes
        // Those of earlier sessions, and those an interrupt just caught in flight.
        const unanswered = unansweredBefore + inFlight.size
        return {
          generated: DateTime.formatIso(yield* DateTime.now),
          harness: HARNESS,
          harness_version: HARNESS_VERSION,
          complete,
          planned_runs: runs.length,
          config: input.config,
          skills,
          notes: [
            ...extraNotes,
            ...resumeNotes,
            ...unansweredNotes(unanswered),
            ...beginNotes,
            ...resultNotes(results, input.settings.maxTokens),
            ...counted
          ],
          ...(unanswered > 0 ? { unanswered_requests: unanswered } : {}),
          analysis: {
            // Fed the seven fields it reads, as plain records: not a run held on disk, whose every field goes through its Proxy.
            ...survivalAnalysis(results.map(survivalRow), { baseline: input.baseline, ...order }),
            census: censusEntries(results, docTokens, order)
          },
          results
        } satisfies Report
      })

    /** What finished, as reports marked partial, when the runs end early: an interrupt, or an error that stopped it. */
    const writePartial = (why: "Interrupted" | "Stopped by an error") => Effect.gen(function* () {
      // Runs a resume kept, or this session wrote without a place: never also on disk.
      const finished = onDisk.size + inMemory.size + keptOnDisk
      const partial = yield* report(false, [
        `${why}: ${finished} of ${runs.length} runs finished; the checkpoint also keeps the model replies of the unfinished ones. Resume with \`${resumeWith}\`.`
      ])
      yield* writer.ensure
      yield* writeReports(partial, paths)
      yield* Console.error(
        `\n${why}: ${finished} of ${runs.length} runs finished and are saved in ${paths.jsonl}.\n` +
          `Partial reports: ${paths.json}, ${paths.md} and ${paths.html}\n` +
          `Resume with:\n  ${resumeWith}`
      )
    }).pipe(
      Effect.catchAll((e) =>
        // Only a checkpoint still at its path keeps the runs: one that could not be written again does not.
        Effect.flatMap(Effect.either(writer.ensure), (kept) =>
          Console.error(
            kept._tag === "Right"
              ? `ERROR: ${e.message}\nThe checkpoint keeps every finished run; resume with:\n  ${resumeWith}`
              : `ERROR: ${e.message}\nThe finished runs are not in ${paths.jsonl}: it could not be written again there.`
          )
        )
      )
    )

    const shown = input.progress ?? seedOnly(runs.length, runs.reduce((most, r) => Math.max(most, r.trial), 1))
    // Stdout has a line per run in the seed's order: the kept runs' lines come first where they
    // belong. --max-cost caps the whole benchmark: the resume command repeats it, and the kept runs
    // were paid for. Each kept run is read from its line for both, and let go.
    if (input.resume !== undefined && plan.kept.size > 0) {
      const keptRun = keptReader(input.resume.path, plan.kept)
      for (const spec of runs) {
        if (!plan.kept.has(spec.index)) continue
        const kept = keptRun(spec.index)!
        if (input.budget !== undefined) yield* input.budget.spentBefore([kept])
        yield* shown.kept(spec, kept)
      }
    }
    /** Whether this session wrote a reply or a run: a new checkpoint with neither (nor a batch, below) holds nothing to resume. */
    let wroteResults = false
    /**
     * --batch: the batches this session was creating or created, by their requests' digest, but those
     * refused outright (no batch made). A checkpoint that names one is never removed: it may be paid for.
     */
    const batchesNamed = new Set<string>()
    // Requests sent one by one (not in batches, which their batch lines name; not a replay alone,
    // which sends nothing) are noted before they go: one an interrupt catches has no reply line.
    const cassette = input.config.cassette
    const sendsRequests = input.config.batch !== true && !(cassette !== undefined && cassette.replay !== null && !cassette.fallthrough)
    const journal = {
      // Each reply is in the checkpoint before its program runs: a kill loses only the requests in flight.
      onReply: (reply: CheckpointReply) =>
        Effect.tap(writer.append(reply), () => Effect.sync(() => ((wroteResults = true), inFlight.delete(runKey(reply))))),
      // A program's start and end are in the checkpoint too: one that kills the harness is not replayed forever.
      onProgram: (line: CheckpointStarted) => writer.append(line),
      // One append, as the reply's: the disk is synced in the background as for every line.
      // "errored": the try was answered with an error, so nothing of it is in flight during the retry's pause.
      onAsk: sendsRequests
        ? (line: CheckpointAsked) =>
            Effect.uninterruptible(
              Effect.tap(writer.append(line), () =>
                Effect.sync(() => (line.type === "asked" ? void inFlight.set(runKey(line), line.attempt) : void inFlight.delete(runKey(line))))
              )
            )
        : undefined,
      onRun: (spec: RunSpec, result: RunResult) =>
        record(spec, result).pipe(Effect.tap(() => Effect.sync(() => ((wroteResults = true), inFlight.delete(specKey(spec))))))
    }
    const { events, drain } = yield* listen([shown.listener, ...(input.budget ? [input.budget.listener] : [])])
    // --batch: the provider writes each batch it submits here, and says how its waves go.
    const waves = yield* Effect.serviceOption(Waves)
    if (Option.isSome(waves))
      yield* waves.value.attach({
        record: (line) =>
          Effect.tap(writer.append(line), () =>
            Effect.sync(() =>
              line.type === "refused"
                ? batchesNamed.delete(line.custom_ids_sha256)
                : batchesNamed.add(line.type === "submitting" ? customIdsDigest(line.custom_ids) : (line.custom_ids_sha256 ?? line.id))
            )
          ),
        recorded: batchesBefore,
        progress: (status) => events.publish({ _tag: "WaveProgress", status })
      })
    // The tokenizers' vocabularies take a second or so of CPU to load, and nothing else runs
    // meanwhile: loaded (and the documentation counted) now, before the first request, rather than
    // while the first replies land (each attempt counts its program) or in the reports.
    if (plan.todo.length > 0) documentation.countOffline()
    // Only the runs can be interrupted: once every run has finished, a Ctrl-C waits for the reports
    // and what the command prints with them (a second one exits at once).
    return yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const allRuns = runAll<OutputError>(plan.todo, input.settings, input.concurrency, journal, input.budget?.admit, { keepResults: false }).pipe(
          (b) => (endpointTokens === undefined ? b : Effect.provideService(b, ProgramTokens.ProgramTokens, endpointTokens))
        )
        // What the listeners print about finished runs comes out before the live line is cleared
        // and before anything is said about the end.
        yield* restore(shown.track(allRuns.pipe(Effect.provideService(BenchEvents, events), Effect.ensuring(drain)))).pipe(
          Effect.onError((cause) =>
            Cause.isInterruptedOnly(cause)
              ? writePartial("Interrupted")
              : // A replay that cannot reproduce its recording, or an endpoint that cannot answer (a refused
              // key, an unknown model), has nothing to resume: it is a usage error.
                Option.exists(Cause.failureOption(cause), (error) => error instanceof ReplayMiss || error instanceof EndpointUnusable)
                ? // A new checkpoint that got nothing but its header is not left to take the day's report name.
                  input.resume === undefined && !wroteResults && batchesNamed.size === 0
                  ? Effect.sync(() => rmSync(paths.jsonl, { force: true }))
                  : Effect.void
                : writePartial("Stopped by an error")
          )
        )
        // Every program has run: the program host exits while the reports are written.
        yield* Effect.flatMap(ProgramRunner, (runner) => runner.release)
        // Nor is anything left to count but the documentation: counted now, the vocabularies go
        // before the reports, whose memory then holds no more than theirs.
        yield* documentation.tokens
        releaseVocabularies()

        const notStarted = input.budget ? yield* input.budget.notStarted : 0
        const costUnknown = input.budget ? yield* input.budget.costUnknown : false
        const final = yield* report(notStarted === 0, notStarted > 0 ? [budgetNote(input.budget?.maxCostUsd ?? null, notStarted, runs.length, costUnknown)] : [])
        yield* writer.ensure
        yield* writeReports(final, paths).pipe(
          // Nothing is lost: say so, and how to get the reports once the path is fixed.
          Effect.mapError(
            (e) =>
              new OutputError({
                path: e.path,
                reason:
                  `${e.reason}; every run is in ${paths.jsonl}: \`${(input.invokedAs ?? ["ilo-bench"]).map(shellQuote).join(" ")} report --output-dir DIR ${paths.jsonl}\` writes its ` +
                  `Markdown and HTML reports to DIR, and once the directory is writable \`${resumeWith}\` writes all three beside it`
              })
          )
        )
        const outcome = { report: final, paths, resumeWith, costUnknown } satisfies SessionOutcome
        if (input.finished) yield* input.finished(outcome)
        return outcome
      })
    )
  })
