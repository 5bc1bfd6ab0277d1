import type { CheckpointHeader, CheckpointLine, CheckpointReply, CheckpointStarted, SkillHash } from "../domain/Checkpoint.js"
import { decodeKeepingUnknownFields } from "../domain/decodeKeeping.js"
import { RunResult } from "../domain/Result.js"
import { Either, Schema } from "effect"
import { RunConfig } from "../domain/RunConfig.js"
import { runKey, specKey, type RunSpec } from "../loop/Plan.js"
import { recordReader, type LineAt, type LineVisitor } from "../services/Checkpoint.js"
import { runReader } from "../services/RunsOnDisk.js"

/** What a resumed run would do, to compare with what the checkpoint's runs did (an older harness recorded fewer fields). */
export interface SessionSettings {
  readonly config: Partial<RunConfig>
  readonly skills: ReadonlyArray<SkillHash>
}

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value) ?? "none")
const show = (value: unknown) => {
  const t = text(value)
  return t.length > 80 ? `${t.slice(0, 77)}...` : t
}

/** Two long texts, each from a little before the first place they differ: a shared prefix hides nothing. */
const showApart = (a: string, b: string) => {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  const from = Math.max(0, i - 20)
  const cut = (t: string) => (from > 0 ? "..." : "") + show(t.slice(from))
  return `checkpoint ${cut(a)}, now ${cut(b)}`
}

/** How a setting differs: for lists, what only one side has; else both values. */
const difference = (a: unknown, b: unknown) => {
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = (x: unknown) => JSON.stringify(x)
    const onlyA = a.filter((x) => !b.some((y) => key(y) === key(x)))
    const onlyB = b.filter((y) => !a.some((x) => key(x) === key(y)))
    if (onlyA.length === 0 && onlyB.length === 0) return "the same, in another order"
    // One entry changed: shown from where the two part, as a long value is.
    if (onlyA.length === 1 && onlyB.length === 1) return showApart(text(onlyA[0]), text(onlyB[0]))
    return [
      ...(onlyA.length > 0 ? [`only the checkpoint has ${onlyA.map(show).join(", ")}`] : []),
      ...(onlyB.length > 0 ? [`only now ${onlyB.map(show).join(", ")}`] : [])
    ].join("; ")
  }
  return showApart(text(a), text(b))
}

/**
 * Everything that changes a run's result, and so must be the same for a checkpoint's runs and a
 * resume's runs to sit in one report. Not here: concurrency, timeouts of the API, API retries and
 * base URL, which change how long a run takes, not what it produces; the tasks file's path (its
 * hash is compared).
 */
export const RESULT_SETTINGS: ReadonlyArray<readonly [string, (s: SessionSettings) => unknown]> = [
  ["tasks file (sha256)", (s) => s.config.tasks_sha256],
  ["task filter (--task)", (s) => s.config.task_filter],
  ["models", (s) => s.config.models?.map((m) => `${m.key}=${m.id}`)],
  ["languages", (s) => s.config.languages?.map((l) => `${l.name}: ${l.command.join(" ")} (${l.extension}; docs: ${l.docs})`)],
  ["ilo version", (s) => s.config.ilo_version],
  ["provider", (s) => s.config.provider],
  ["retry cap", (s) => s.config.retry_cap],
  ["max tokens", (s) => s.config.max_tokens],
  ["run timeout (s)", (s) => s.config.run_timeout_s],
  ["prompt layout", (s) => s.config.prompt_layout],
  // Warm and cold runs bill the same requests differently: one report's costs would not add up.
  ["prompt cache", (s) => s.config.prompt_cache ?? "warm"],
  // Batched and interactive requests are billed at different prices: one report's costs would not add up.
  ["batch (--batch)", (s) => s.config.batch ?? false],
  // A count the endpoint made is in the census and each attempt's program_tokens: half a report without it would not compare.
  ["token counting (--count-tokens)", (s) => s.config.count_tokens ?? "none"],
  ["trials", (s) => s.config.trials ?? 1],
  ["confirm", (s) => s.config.confirm ?? 1],
  ["temperature", (s) => s.config.temperature ?? null],
  ["thinking budget", (s) => s.config.thinking_budget ?? null],
  // Where programs ran changes what they can do (the network, your files, memory): a checkpoint from
  // before the sandbox ran them without one.
  // The CPU-time backstop follows the run timeout and the machine's cores: a resume or a shard on
  // another machine is the same benchmark.
  ["sandbox", (s) => {
    if (s.config.sandbox?.mode !== "bwrap") return { mode: "none" }
    const { cpu_s: _cpu, ...limits } = s.config.sandbox.limits ?? {}
    return { mode: "bwrap", limits }
  }],
  ["skill modules", (s) => s.skills.map((m) => `${m.module}@${m.sha256.slice(0, 12)}`)],
  // Another shard plans other runs.
  ["shard (--shard)", (s) => (s.config.shard ? `${s.config.shard.index}/${s.config.shard.count}` : null)]
]

const decodeRecordedConfig = Schema.decodeUnknownEither(Schema.partialWith(RunConfig, { exact: true }))

/** Each setting that differs between the checkpoint and now, as "name: checkpoint X, now Y". */
export const configDifferences = (saved: CheckpointHeader, now: SessionSettings): ReadonlyArray<string> => {
  // The checkpoint's configuration as this harness reads it; a field it did not record is "none".
  const recorded = Either.getOrElse(decodeRecordedConfig(saved.config), (): Partial<RunConfig> => ({}))
  const before: SessionSettings = { config: recorded, skills: saved.skills }
  return RESULT_SETTINGS.flatMap(([name, get]) => {
    const a = get(before)
    const b = get(now)
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${name}: ${difference(a, b)}`]
  })
}

const decodeRecordedFast = decodeKeepingUnknownFields(RunResult)
const decodeRecordedSync = Schema.decodeUnknownSync(RunResult, { onExcessProperty: "preserve" })
/** A run record read back from its checkpoint line as reading the checkpoint decodes it (defaults of older harnesses' lines filled in, fields in the schema's order). */
export const decodeRecorded = (line: unknown): RunResult =>
  // A record that does not decode throws what Schema.decodeUnknownSync throws.
  Either.getOrElse(decodeRecordedFast(line), () => decodeRecordedSync(line))

/**
 * What a checkpoint recorded of the planned runs, taken line by line as it is read (the visitor
 * handed to Checkpoint.read): each planned run's last run line and whether it ended in "error", its
 * reply lines, and how many of its programs were started and never ended, by attempt. Lines read
 * from a file are held as their places (a few bytes in typed arrays) and read back from there
 * when needed, so that a resume of a checkpoint of 100,000 runs does not hold its runs and replies;
 * lines without a place (a checkpoint in memory) are held as they are. Lines of runs not planned
 * now are passed over.
 */
export class Recorded {
  /** Each planned run's slot (its position in the plan), by runKey; dropped by `planned`. */
  private slots: Map<string, number> | undefined
  /** A run line's offset in the file, or -(n + 1) for the n-th held record; NaN: none. */
  private readonly runOffsets: Float64Array
  private readonly runLengths: Uint32Array
  private readonly errors: Uint8Array
  private readonly heldRuns: Array<RunResult> = []
  /** Reply lines, newest first per run: the first of each slot's chain, and each line's next. */
  private firstReply: Int32Array
  private replyOffsets = new Float64Array(64)
  private replyLengths = new Uint32Array(64)
  private replyAttempts = new Uint32Array(64)
  private replyNext = new Int32Array(64)
  private replies = 0
  private readonly heldReplies: Array<CheckpointReply> = []
  /** Programs started (their reply or a "started" line) less those ended, by slot and attempt; none at zero. */
  private readonly open = new Map<string, number>()
  private readonly read: ((at: LineAt) => CheckpointLine) | undefined

  constructor(
    runs: ReadonlyArray<RunSpec>,
    /** The checkpoint's file, where the lines handed over have places in it. */
    path?: string
  ) {
    this.slots = new Map(runs.map((spec, slot) => [specKey(spec), slot]))
    this.runOffsets = new Float64Array(runs.length).fill(NaN)
    this.runLengths = new Uint32Array(runs.length)
    this.errors = new Uint8Array(runs.length)
    this.firstReply = new Int32Array(runs.length).fill(-1)
    this.read = path === undefined ? undefined : recordReader(path)
  }

  /** The lines to hand over as the checkpoint is read. */
  readonly visitor: LineVisitor = {
    onRun: (result, at) => {
      const slot = this.slots?.get(runKey(result))
      if (slot === undefined) return
      this.errors[slot] = result.final_outcome === "error" ? 1 : 0
      if (at !== undefined && this.read !== undefined) {
        this.runOffsets[slot] = at.offset
        this.runLengths[slot] = at.length
      } else this.runOffsets[slot] = -this.heldRuns.push(result)
    },
    onReply: (reply, at) => {
      const slot = this.slots?.get(runKey(reply))
      if (slot === undefined) return
      this.opened(slot, reply.attempt, 1)
      if (this.replies === this.replyNext.length) this.growReplies()
      const n = this.replies++
      if (at !== undefined && this.read !== undefined) {
        this.replyOffsets[n] = at.offset
        this.replyLengths[n] = at.length
      } else this.replyOffsets[n] = -this.heldReplies.push(reply)
      this.replyAttempts[n] = reply.attempt
      this.replyNext[n] = this.firstReply[slot]!
      this.firstReply[slot] = n
    },
    onProgram: (line) => {
      const slot = this.slots?.get(runKey(line))
      if (slot !== undefined) this.opened(slot, line.attempt, line.type === "started" ? 1 : -1)
    }
  }

  private opened(slot: number, attempt: number, by: number) {
    const key = `${slot}:${attempt}`
    const n = (this.open.get(key) ?? 0) + by
    if (n === 0) this.open.delete(key)
    else this.open.set(key, n)
  }

  private growReplies() {
    const grow = <A extends Float64Array | Uint32Array | Int32Array>(a: A, make: (n: number) => A) => {
      const b = make(a.length * 2)
      b.set(a)
      return b
    }
    this.replyOffsets = grow(this.replyOffsets, (n) => new Float64Array(n))
    this.replyLengths = grow(this.replyLengths, (n) => new Uint32Array(n))
    this.replyAttempts = grow(this.replyAttempts, (n) => new Uint32Array(n))
    this.replyNext = grow(this.replyNext, (n) => new Int32Array(n))
  }

  /** Whether the run in this slot has a run line, and whether its last one ended in "error". */
  outcome(slot: number): "none" | "error" | "ended" {
    return Number.isNaN(this.runOffsets[slot]!) ? "none" : this.errors[slot] === 1 ? "error" : "ended"
  }

  /** The last run line's place in the file, if it was read from one. */
  place(slot: number): LineAt | undefined {
    const offset = this.runOffsets[slot]!
    return Number.isNaN(offset) || offset < 0 ? undefined : { offset, length: this.runLengths[slot]! }
  }

  /** The last run record of the run in this slot (read back from its line). */
  run(slot: number): RunResult | undefined {
    const offset = this.runOffsets[slot]!
    if (Number.isNaN(offset)) return undefined
    if (offset < 0) return this.heldRuns[-offset - 1]
    const line = this.read!({ offset, length: this.runLengths[slot]! })
    if (line.type !== "run") throw new Error(`the checkpoint's line at byte ${offset} is no longer a run`)
    return line.result
  }

  /**
   * The replies the run continues from: those recorded for its attempts 1, 2, ... up to the first
   * attempt with none (a later line for an attempt supersedes an earlier one); undefined for none.
   */
  repliesOf(slot: number): ReadonlyArray<CheckpointReply> | undefined {
    const latest = new Map<number, number>()
    for (let n = this.firstReply[slot]!; n !== -1; n = this.replyNext[n]!)
      if (!latest.has(this.replyAttempts[n]!)) latest.set(this.replyAttempts[n]!, n)
    const run: Array<CheckpointReply> = []
    for (let attempt = 1; latest.has(attempt); attempt++) {
      const n = latest.get(attempt)!
      const offset = this.replyOffsets[n]!
      if (offset < 0) run.push(this.heldReplies[-offset - 1]!)
      else {
        const line = this.read!({ offset, length: this.replyLengths[n]! })
        if (line.type !== "reply") throw new Error(`the checkpoint's line at byte ${offset} is no longer a reply`)
        run.push(line)
      }
    }
    return run.length > 0 ? run : undefined
  }

  /**
   * The attempt of the run whose program the harness twice stopped under without its ending: a
   * program's start is its reply line or, run again from a recorded reply, a "started" line; its
   * end an "ended" line, written however it ends, an orderly interrupt included. Only a harness
   * that died (kill -9, a crash, a program killing it) leaves a start without an end. Once is
   * given the benefit of the doubt (the user may have killed it); twice, the program is not run again.
   */
  killer(slot: number): number | undefined {
    if (this.killers === undefined) {
      this.killers = new Map()
      for (const [key, n] of this.open) {
        if (n < 2) continue
        const [s, a] = key.split(":").map(Number) as [number, number]
        this.killers.set(s, Math.max(this.killers.get(s) ?? 0, a))
      }
    }
    return this.killers.get(slot)
  }
  private killers: Map<number, number> | undefined

  /** Once the resume is planned: only the run lines are asked for again (kept runs), the rest is let go. */
  planned() {
    this.slots = undefined
    this.open.clear()
    this.killers = undefined
    this.firstReply = new Int32Array(0)
    this.replyOffsets = new Float64Array(0)
    this.replyLengths = new Uint32Array(0)
    this.replyAttempts = new Uint32Array(0)
    this.replyNext = new Int32Array(0)
    this.heldReplies.length = 0
  }
}

/** What a checkpoint whose lines are at hand recorded of the planned runs (as a checkpoint read in memory hands them over). */
export const recordedOf = (
  runs: ReadonlyArray<RunSpec>,
  results: ReadonlyArray<RunResult>,
  replies: ReadonlyArray<CheckpointReply> = [],
  programs: ReadonlyArray<CheckpointStarted> = []
): Recorded => {
  const recorded = new Recorded(runs)
  for (const r of results) recorded.visitor.onRun!(r, undefined)
  for (const r of replies) recorded.visitor.onReply!(r, undefined)
  for (const p of programs) recorded.visitor.onProgram!(p)
  return recorded
}

/**
 * The runs a resume keeps from its checkpoint, by plan index: a flag a run, each read back from
 * the checkpoint when asked for (a resume of 100,000 runs holds none of their records).
 */
export class KeptRuns {
  /** By plan index, the run's slot in `recorded`, or -1 (typed arrays: a map of 100,000 entries is a few MB). */
  private slotOf = new Int32Array(0)
  /** The kept plan indexes, in the plan's order. */
  private indexes = new Int32Array(64)
  private count = 0
  constructor(private readonly recorded: Recorded | undefined) {}
  /** @internal */
  add(index: number, slot: number) {
    if (index >= this.slotOf.length) {
      const grown = new Int32Array(Math.max(index + 1, this.slotOf.length * 2)).fill(-1)
      grown.set(this.slotOf)
      this.slotOf = grown
    }
    if (this.count === this.indexes.length) {
      const grown = new Int32Array(this.indexes.length * 2)
      grown.set(this.indexes)
      this.indexes = grown
    }
    this.slotOf[index] = slot
    this.indexes[this.count++] = index
  }
  get size() {
    return this.count
  }
  private slot(index: number): number | undefined {
    const slot = index < this.slotOf.length ? this.slotOf[index]! : -1
    return slot === -1 ? undefined : slot
  }
  has(index: number) {
    return this.slot(index) !== undefined
  }
  /** The kept run's record, read from its line. */
  get(index: number): RunResult | undefined {
    const slot = this.slot(index)
    return slot === undefined ? undefined : this.recorded!.run(slot)
  }
  /** Where the kept run's line is in the checkpoint, if it was read from a file. */
  place(index: number): LineAt | undefined {
    const slot = this.slot(index)
    return slot === undefined ? undefined : this.recorded!.place(slot)
  }
  *keys(): IterableIterator<number> {
    for (let i = 0; i < this.count; i++) yield this.indexes[i]!
  }
  /** Each kept run's record, read one at a time. */
  *values(): IterableIterator<RunResult> {
    for (const index of this.keys()) yield this.get(index)!
  }
}

/**
 * A resume's kept runs read back from their lines one at a time, each as reading the checkpoint
 * reads it (through the schema), none of them kept: the progress lines and the budget count them
 * before the runs start, and the reports read them again with the resume's own runs, in one pass
 * (RunsOnDisk), so that the runs of a resume hold a few bytes a kept run, as a benchmark's hold of
 * its finished runs. A kept run without a place (a checkpoint read in memory) is its record.
 */
export const keptReader = (file: string, kept: KeptRuns) => {
  const read = runReader(file)
  return (index: number): RunResult | undefined => {
    const at = kept.place(index)
    return at === undefined ? kept.get(index) : decodeRecorded(read(at))
  }
}

/** The kept runs that have no place in a file (a checkpoint read in memory), by plan index: the session holds these. */
export const keptInMemory = (kept: KeptRuns): Map<number, RunResult> => {
  const held = new Map<number, RunResult>()
  for (const index of kept.keys()) if (kept.place(index) === undefined) held.set(index, kept.get(index)!)
  return held
}

export interface ResumePlan {
  /** Runs kept from the checkpoint, by plan index: never asked again. */
  readonly kept: KeptRuns
  /** Runs to do now, in the seed's order; a run with recorded replies carries them (`recorded`). */
  readonly todo: ReadonlyArray<RunSpec>
  /** Recorded runs that ended in "error" and will be run again. */
  readonly errorsRerun: number
  /** Runs to do that continue from recorded replies, and how many replies they reuse. */
  readonly continued: number
  readonly repliesReused: number
  /** Whether the checkpoint already held every planned run. */
  readonly wasComplete: boolean
  /** Runs whose last recorded program killed the harness (Recorded.killer): it is scored, not run again. */
  readonly killedHarness?: number | undefined
}

/**
 * What a resume runs: what is missing, and the runs that ended in "error" (they never reached the
 * model) when the checkpoint was interrupted or `retryErrors` asks for it. Each run to do continues
 * from the model replies recorded for it: this is the one place that decides what a run replays.
 */
export const planResumeOf = (runs: ReadonlyArray<RunSpec>, recorded: Recorded, retryErrors: boolean): ResumePlan => {
  let found = 0
  for (let slot = 0; slot < runs.length; slot++) if (recorded.outcome(slot) !== "none") found++
  const wasComplete = found === runs.length
  const rerunErrors = retryErrors || !wasComplete
  const kept = new KeptRuns(recorded)
  let errorsRerun = 0
  let killedHarness = 0
  let continued = 0
  let repliesReused = 0
  const todo: Array<RunSpec> = []
  runs.forEach((spec, slot) => {
    const outcome = recorded.outcome(slot)
    if (outcome === "ended" || (outcome === "error" && !rerunErrors)) return kept.add(spec.index, slot)
    if (outcome === "error") errorsRerun++
    const replies = recorded.repliesOf(slot)
    if (replies === undefined) return void todo.push(spec)
    continued++
    repliesReused += replies.length
    const killer = recorded.killer(slot)
    // Only the last recorded attempt can be the one its program never finished.
    if (killer !== undefined && killer === replies.length) {
      killedHarness++
      todo.push({ ...spec, recorded: replies, killedHarness: killer })
    } else todo.push({ ...spec, recorded: replies })
  })
  recorded.planned()
  return { kept, todo, errorsRerun, continued, repliesReused, wasComplete, killedHarness }
}

/** planResume of a checkpoint's records at hand. */
export const planResume = (
  runs: ReadonlyArray<RunSpec>,
  recorded: ReadonlyArray<RunResult>,
  retryErrors: boolean,
  replies: ReadonlyArray<CheckpointReply> = [],
  programs: ReadonlyArray<CheckpointStarted> = []
): ResumePlan => planResumeOf(runs, recordedOf(runs, recorded, replies, programs), retryErrors)
