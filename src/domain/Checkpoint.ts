import { Schema } from "effect"
import { RunResult } from "./Result.js"
import type { RunConfig } from "./RunConfig.js"

/** Names the format on the header line, so a reader can refuse a file it does not understand. */
export const CHECKPOINT_FORMAT = "ilo-bench-checkpoint/1"

/** A skill module as a checkpoint records it: which text the model read, by hash. */
export const SkillHash = Schema.Struct({
  module: Schema.String,
  source: Schema.String,
  sha256: Schema.String,
  bytes: Schema.Number
})
export type SkillHash = typeof SkillHash.Type

/**
 * The first line: what the benchmark was asked to do. `config` is the report's configuration
 * (kept whole, so fields added later survive a round trip); `skills` the modules sent to the model.
 */
export const CheckpointHeader = Schema.Struct({
  type: Schema.Literal("header"),
  format: Schema.Literal(CHECKPOINT_FORMAT),
  started: Schema.String,
  harness_version: Schema.String,
  config: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  skills: Schema.Array(SkillHash)
})
export type CheckpointHeader = Omit<typeof CheckpointHeader.Type, "config"> & { readonly config: RunConfig }

/** One finished run: the full result record with its attempts. */
export const CheckpointRun = Schema.Struct({
  type: Schema.Literal("run"),
  result: RunResult
})
export type CheckpointRun = typeof CheckpointRun.Type

/** A resume of this checkpoint; `forced` lists the differences `--force` overrode (empty when none). */
export const CheckpointResume = Schema.Struct({
  type: Schema.Literal("resume"),
  at: Schema.String,
  forced: Schema.Array(Schema.String),
  retry_errors: Schema.Boolean
})
export type CheckpointResume = typeof CheckpointResume.Type

export const CheckpointLine = Schema.Union(CheckpointRun, CheckpointResume)
export type CheckpointLine = typeof CheckpointLine.Type

/** What a checkpoint file holds, as read back. */
export interface CheckpointContents {
  readonly header: CheckpointHeader
  /** Every finished run, in the order written; a run re-run later appears again further down. */
  readonly runs: ReadonlyArray<RunResult>
  readonly resumes: ReadonlyArray<CheckpointResume>
  /** A last line cut short by a crash, ignored: its 1-based line number. */
  readonly tornLine: number | null
  /** Bytes of the file that hold complete lines; an append starts here. */
  readonly validBytes: number
}
