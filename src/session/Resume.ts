import type { CheckpointHeader, CheckpointReply, CheckpointStarted, SkillHash } from "../domain/Checkpoint.js"
import type { RunResult } from "../domain/Result.js"
import { Either, Schema } from "effect"
import { RunConfig } from "../domain/RunConfig.js"
import { runKey, specKey, type RunSpec } from "../loop/Plan.js"

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

const decodeRecorded = Schema.decodeUnknownEither(Schema.partialWith(RunConfig, { exact: true }))

/** Each setting that differs between the checkpoint and now, as "name: checkpoint X, now Y". */
export const configDifferences = (saved: CheckpointHeader, now: SessionSettings): ReadonlyArray<string> => {
  // The checkpoint's configuration as this harness reads it; a field it did not record is "none".
  const recorded = Either.getOrElse(decodeRecorded(saved.config), (): Partial<RunConfig> => ({}))
  const before: SessionSettings = { config: recorded, skills: saved.skills }
  return RESULT_SETTINGS.flatMap(([name, get]) => {
    const a = get(before)
    const b = get(now)
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${name}: ${difference(a, b)}`]
  })
}

/** The last record of each planned run in a checkpoint (a run re-run later supersedes its earlier line). */
export const recordedRuns = (runs: ReadonlyArray<RunSpec>, recorded: ReadonlyArray<RunResult>): Map<number, RunResult> => {
  const latest = new Map(recorded.map((r) => [runKey(r), r]))
  const found = new Map<number, RunResult>()
  for (const spec of runs) {
    const r = latest.get(specKey(spec))
    if (r !== undefined) found.set(spec.index, r)
  }
  return found
}

export interface ResumePlan {
  /** Runs kept from the checkpoint, by plan index: never asked again. */
  readonly kept: ReadonlyMap<number, RunResult>
  /** Runs to do now, in the seed's order; a run with recorded replies carries them (`recorded`). */
  readonly todo: ReadonlyArray<RunSpec>
  /** Recorded runs that ended in "error" and will be run again. */
  readonly errorsRerun: number
  /** Runs to do that continue from recorded replies, and how many replies they reuse. */
  readonly continued: number
  readonly repliesReused: number
  /** Whether the checkpoint already held every planned run. */
  readonly wasComplete: boolean
  /** Runs whose last recorded program killed the harness (harnessKillers): it is scored, not run again. */
  readonly killedHarness?: number | undefined
}

/**
 * The replies each run continues from: those recorded for its attempts 1, 2, ... up to the first
 * attempt with none (a later line for an attempt supersedes an earlier one).
 */
const repliesByRun = (replies: ReadonlyArray<CheckpointReply>): Map<string, ReadonlyArray<CheckpointReply>> => {
  const byAttempt = new Map<string, Map<number, CheckpointReply>>()
  for (const r of replies) {
    const key = runKey(r)
    const attempts = byAttempt.get(key) ?? new Map<number, CheckpointReply>()
    byAttempt.set(key, attempts.set(r.attempt, r))
  }
  const contiguous = new Map<string, ReadonlyArray<CheckpointReply>>()
  for (const [key, attempts] of byAttempt) {
    const run: Array<CheckpointReply> = []
    for (let n = 1; attempts.has(n); n++) run.push(attempts.get(n)!)
    if (run.length > 0) contiguous.set(key, run)
  }
  return contiguous
}

/**
 * What a resume runs: what is missing, and the runs that ended in "error" (they never reached the
 * model) when the checkpoint was interrupted or `retryErrors` asks for it. Each run to do continues
 * from the model replies recorded for it: this is the one place that decides what a run replays.
 */
/**
 * The attempt of each run whose program the harness twice stopped under without its ending: a
 * program's start is its reply line or, run again from a recorded reply, a "started" line; its end
 * an "ended" line, written however it ends, an orderly interrupt included. Only a harness that
 * died (kill -9, a crash, a program killing it) leaves a start without an end. Once is given the
 * benefit of the doubt (the user may have killed it); twice, the program is not run again.
 */
export const harnessKillers = (
  replies: ReadonlyArray<CheckpointReply>,
  programs: ReadonlyArray<CheckpointStarted>
): Map<string, number> => {
  const open = new Map<string, number>()
  const key = (line: CheckpointReply | CheckpointStarted) => `${runKey(line)}\u0000${line.attempt}`
  for (const r of replies) open.set(key(r), (open.get(key(r)) ?? 0) + 1)
  for (const p of programs) open.set(key(p), (open.get(key(p)) ?? 0) + (p.type === "started" ? 1 : -1))
  const killers = new Map<string, number>()
  for (const line of [...replies, ...programs])
    if ((open.get(key(line)) ?? 0) >= 2) killers.set(runKey(line), Math.max(killers.get(runKey(line)) ?? 0, line.attempt))
  return killers
}

export const planResume = (
  runs: ReadonlyArray<RunSpec>,
  recorded: ReadonlyArray<RunResult>,
  retryErrors: boolean,
  replies: ReadonlyArray<CheckpointReply> = [],
  programs: ReadonlyArray<CheckpointStarted> = []
): ResumePlan => {
  const found = recordedRuns(runs, recorded)
  const wasComplete = found.size === runs.length
  const rerunErrors = retryErrors || !wasComplete
  const kept = new Map<number, RunResult>()
  let errorsRerun = 0
  for (const [index, r] of found) {
    if (rerunErrors && r.final_outcome === "error") errorsRerun++
    else kept.set(index, r)
  }
  const replied = repliesByRun(replies)
  const killers = harnessKillers(replies, programs)
  let killedHarness = 0
  let continued = 0
  let repliesReused = 0
  const todo = runs
    .filter((spec) => !kept.has(spec.index))
    .map((spec) => {
      const recorded = replied.get(specKey(spec))
      if (recorded === undefined) return spec
      continued++
      repliesReused += recorded.length
      const killer = killers.get(specKey(spec))
      // Only the last recorded attempt can be the one its program never finished.
      if (killer !== undefined && killer === recorded.length) {
        killedHarness++
        return { ...spec, recorded, killedHarness: killer }
      }
      return { ...spec, recorded }
    })
  return { kept, todo, errorsRerun, continued, repliesReused, wasComplete, killedHarness }
}
