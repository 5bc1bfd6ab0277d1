import { createHash } from "node:crypto"
import { InvalidFlag } from "../domain/errors.js"

/**
 * One part of a benchmark's plan, so that several machines (or job-engine tasks) can run a sweep
 * with no coordinator: each run belongs to exactly one shard, decided by a stable hash of its
 * identity (task, language, model, trial) alone, so that neither the plan's order nor which other
 * shards run changes where a run lands. `index` is 1-based (`--shard 2/3`).
 */
export interface Shard {
  readonly index: number
  readonly count: number
  /** Where the index and count came from: the flag, or the job engine's environment. */
  readonly from: string
}

/** The shard (1-based) a run's identity key belongs to, of `count`. */
export const shardOfKey = (key: string, count: number): number =>
  (createHash("sha256").update(key).digest().readUInt32BE(0) % count) + 1

const whole = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined)

const bad = (reason: string) => new InvalidFlag({ flag: "--shard", reason })

/** `I/N` with 1 <= I <= N. */
export const parseShard = (text: string): Shard | InvalidFlag => {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  if (m === null) return bad(`expected I/N (this machine's shard of N, counted from 1, e.g. 2/3) or auto, got '${text}'`)
  const index = Number(m[1])
  const count = Number(m[2])
  if (count < 1) return bad(`the number of shards must be at least 1, got ${count}`)
  if (index < 1 || index > count) return bad(`the shard must be 1 to ${count}, got ${index}`)
  return { index, count, from: "--shard" }
}

/** A 0-based index and a count from the environment, checked. */
const zeroBased = (index: number | undefined, count: number | undefined, from: string): Shard | InvalidFlag => {
  if (index === undefined || index < 0) return bad(`${from}: the index is not a whole number`)
  if (count === undefined || count < 1) return bad(`${from}: the number of shards is not a whole number of at least 1`)
  if (index >= count) return bad(`${from}: index ${index} is not below the number of shards, ${count}`)
  return { index: index + 1, count, from }
}

/**
 * `--shard auto`: the index and count a job engine gives each of its tasks, looked for in this order:
 * - ILO_BENCH_SHARD_INDEX (0-based) and ILO_BENCH_SHARD_COUNT, set by hand or from a GitHub Actions
 *   matrix (`${{ strategy.job-index }}`, `${{ strategy.job-total }}`: the runner sets no variable of its own);
 * - a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based), with the count from `--shards N`
 *   (the Job's `completions`: the pod is not told it);
 * - a SLURM job array's SLURM_ARRAY_TASK_ID, counted from SLURM_ARRAY_TASK_MIN in steps of
 *   SLURM_ARRAY_TASK_STEP, of SLURM_ARRAY_TASK_COUNT (or (MAX - MIN) / STEP + 1) tasks.
 */
export const shardFromEnvironment = (env: Record<string, string | undefined>, shards: number | undefined): Shard | InvalidFlag => {
  if (env.ILO_BENCH_SHARD_INDEX !== undefined || env.ILO_BENCH_SHARD_COUNT !== undefined) {
    const from = "ILO_BENCH_SHARD_INDEX/ILO_BENCH_SHARD_COUNT"
    // A count that is set is the count: one that is not a number is refused, not replaced by --shards.
    const count = env.ILO_BENCH_SHARD_COUNT === undefined ? shards : whole(env.ILO_BENCH_SHARD_COUNT)
    if (count !== undefined && shards !== undefined && count !== shards)
      return bad(`${from}: ILO_BENCH_SHARD_COUNT says ${count}, but --shards says ${shards}`)
    return zeroBased(whole(env.ILO_BENCH_SHARD_INDEX), count, from)
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (shards === undefined)
      return bad("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job), but the number of shards is not: give --shards N (the Job's completions)")
    return zeroBased(whole(env.JOB_COMPLETION_INDEX), shards, "JOB_COMPLETION_INDEX (Kubernetes)")
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = whole(env.SLURM_ARRAY_TASK_ID)
    const min = whole(env.SLURM_ARRAY_TASK_MIN)
    const max = whole(env.SLURM_ARRAY_TASK_MAX)
    const step = whole(env.SLURM_ARRAY_TASK_STEP) ?? 1
    const from = "SLURM_ARRAY_TASK_ID (SLURM)"
    if (id === undefined || min === undefined) return bad(`${from}: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_MIN must be whole numbers`)
    if (id < min) return bad(`${from}: task ${id} is below the array's first, ${min} (SLURM_ARRAY_TASK_MIN)`)
    const count = whole(env.SLURM_ARRAY_TASK_COUNT) ?? (max !== undefined ? Math.floor((max - min) / Math.max(1, step)) + 1 : shards)
    if (step < 1 || (id - min) % step !== 0)
      return bad(`${from}: task ${id} is not on the array's steps from ${min} by ${step}; give the array as an evenly spaced range (--array=1-N)`)
    if (shards !== undefined && count !== shards) return bad(`${from}: the array has ${count} task(s), but --shards says ${shards}`)
    return zeroBased((id - min) / step, count, from)
  }
  return bad(
    "auto: no job engine's index found in the environment (ILO_BENCH_SHARD_INDEX and ILO_BENCH_SHARD_COUNT, " +
      "JOB_COMPLETION_INDEX of a Kubernetes Indexed Job, or SLURM_ARRAY_TASK_ID of a SLURM array); give --shard I/N"
  )
}

/**
 * What is wrong with --shard and --shards as given, if anything: checks that need no environment,
 * so the flags' schema (config/RunFlags.ts) makes them. The shard itself, or the refusal.
 */
export const shardFlags = (flag: string | undefined, shards: number | undefined): Shard | "auto" | undefined | InvalidFlag => {
  if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1))
    return new InvalidFlag({ flag: "--shards", reason: `must be at least 1, got ${shards}` })
  if (flag === undefined)
    return shards === undefined ? undefined : new InvalidFlag({ flag: "--shards", reason: "only with --shard auto" })
  if (flag.trim() === "auto") return "auto"
  if (shards !== undefined) return new InvalidFlag({ flag: "--shards", reason: "only with --shard auto (--shard I/N gives the count)" })
  return parseShard(flag)
}

/** The shard the flags ask for: none, `I/N`, or `auto` (with `--shards N` where the engine does not say the count). */
export const resolveShard = (
  flag: string | undefined,
  shards: number | undefined,
  env: Record<string, string | undefined>
): Shard | undefined | InvalidFlag => {
  const given = shardFlags(flag, shards)
  return given === "auto" ? shardFromEnvironment(env, shards) : given
}

/** The shard as the result's configuration and file names say it. */
export const shardLabel = (shard: Pick<Shard, "index" | "count">) => `${shard.index}/${shard.count}`
