import { Schema } from "effect"
import { ModelReply } from "./Reply.js"
import { AbandonedRequest, RunResult } from "./Result.js"
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
  skills: Schema.Array(SkillHash),
  /** How many runs the benchmark planned: with a run line for each, the checkpoint is a finished benchmark. */
  planned_runs: Schema.optional(Schema.Number),
  /** The task ids in the plan's order: a report of the checkpoint lists runs as the benchmark planned them, not as they finished. */
  tasks: Schema.optional(Schema.Array(Schema.String)),
  /** Which key signs the lines (platform/checkpointKeys.ts): absent in checkpoints of an ilo-bench that did not sign. */
  signing_key: Schema.optional(Schema.String),
  /** Notes known when the benchmark began (a language not run, a retired model, ...), for a report of the checkpoint. */
  notes: Schema.optional(Schema.Array(Schema.String))
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
  retry_errors: Schema.Boolean,
  /** The resumed benchmark's plan (with --force it may differ from the header's). */
  planned_runs: Schema.optional(Schema.Number)
})
export type CheckpointResume = typeof CheckpointResume.Type

/** Which attempt of which run a line is about: the fields of the reply, started/ended and asked lines. */
const exchange = {
  task: Schema.String,
  language: Schema.String,
  model: Schema.String,
  trial: Schema.Number,
  attempt: Schema.Number
}

/**
 * A model's reply to one attempt of a run, written the moment it lands, before its program runs.
 * A resume answers the run's first attempts with the replies recorded for them instead of asking
 * again. `request_ms` is how long its requests took (every try) and `api_retries` how many tries
 * failed before it, so that a resumed run counts them as if it had just asked.
 */
export const CheckpointReply = Schema.Struct({
  type: Schema.Literal("reply"),
  ...exchange,
  reply: ModelReply,
  request_ms: Schema.Number,
  api_retries: Schema.Number,
  /** Its requests given up on after sending (timeouts, dropped connections): a resumed run keeps them. */
  abandoned_requests: Schema.optional(Schema.Array(AbandonedRequest))
})
export type CheckpointReply = typeof CheckpointReply.Type

/**
 * A recorded reply's program about to run again on resume (a fresh reply's own line says as much):
 * a program that kills the harness is told apart on the next resume from one that was merely
 * running when something else stopped it. `ended` is written once the program has ended.
 */
export const CheckpointStarted = Schema.Struct({
  type: Schema.Literal("started", "ended"),
  ...exchange
})
export type CheckpointStarted = typeof CheckpointStarted.Type

/**
 * A model request about to be sent (an attempt's first try, past the rate gate), written before it
 * goes ("asked"). Its reply line says it was answered; one without a reply before the benchmark ended (or
 * before a resume line) was in flight at an interrupt: billed, perhaps, but never recorded. A try
 * the provider answered with an error (an HTTP status), or that never left, is "errored": nothing
 * of that request is in flight while the retry policy pauses, and the next try is "asked" again.
 * Not written in --batch mode (a batch line names its requests) nor in a replay without fallthrough.
 */
export const CheckpointAsked = Schema.Union(
  Schema.Struct({ type: Schema.Literal("asked"), ...exchange }),
  Schema.Struct({ type: Schema.Literal("errored"), ...exchange })
)
export type CheckpointAsked = typeof CheckpointAsked.Type

/** What every batch line says: the provider, the wave, when. */
const batchLine = {
  provider: Schema.String,
  wave: Schema.Number,
  at: Schema.String
}

/**
 * A Message Batch submitted in --batch mode, written before it is polled. A resume that needs one
 * of its requests polls this batch, already paid for, instead of submitting the request again.
 * Its requests are those of the "submitting" line before it whose custom_ids hash to
 * `custom_ids_sha256` (the last such line not yet answered): not repeated here, where 100,000 of
 * them would be megabytes written twice. Lines an earlier ilo-bench wrote name them in `custom_ids`.
 */
export const CheckpointBatchSubmitted = Schema.Struct({
  type: Schema.Literal("batch"),
  id: Schema.String,
  ...batchLine,
  custom_ids_sha256: Schema.optional(Schema.String),
  custom_ids: Schema.optional(Schema.Array(Schema.String))
})
export type CheckpointBatchSubmitted = typeof CheckpointBatchSubmitted.Type

/**
 * A Message Batch about to be created (--batch), written before the create call: the provider may
 * take it (and bill it) and the session end (a kill, a crash, a second Ctrl-C) before its id comes
 * back. Its requests are named by their custom_ids (a digest of each request and the exchange it
 * is). One answered by no "batch" or "refused" line is looked for among the provider's batches on
 * resume (created about `at`, as many requests), instead of paying again.
 */
export const CheckpointBatchSubmitting = Schema.Struct({
  type: Schema.Literal("submitting"),
  ...batchLine,
  custom_ids: Schema.Array(Schema.String)
})
export type CheckpointBatchSubmitting = typeof CheckpointBatchSubmitting.Type

/**
 * A create call the provider refused with an answer that proves it made no batch (a 4xx such as
 * 400, 401 or 429, or a request that never left): the "submitting" line before it whose custom_ids
 * hash to `custom_ids_sha256` holds nothing to look for on resume.
 */
export const CheckpointBatchRefused = Schema.Struct({
  type: Schema.Literal("refused"),
  ...batchLine,
  custom_ids_sha256: Schema.String,
  status: Schema.NullOr(Schema.Number),
  message: Schema.String
})
export type CheckpointBatchRefused = typeof CheckpointBatchRefused.Type

/** A line about a Message Batch: one submitted (with its id), one being submitted, or one refused. */
export const CheckpointBatch = Schema.Union(CheckpointBatchSubmitted, CheckpointBatchSubmitting, CheckpointBatchRefused)
export type CheckpointBatch = typeof CheckpointBatch.Type

/**
 * A text counted by a provider's token counting endpoint (--count-tokens anthropic): the endpoint's
 * count of a one-message request holding it, framing included, by model and the text's sha256. A
 * resume takes its counts from here instead of asking again.
 */
export const CheckpointCount = Schema.Struct({
  type: Schema.Literal("count"),
  tokenizer: Schema.Literal("anthropic"),
  model: Schema.String,
  sha256: Schema.String,
  tokens: Schema.Number
})
export type CheckpointCount = typeof CheckpointCount.Type

export const CheckpointLine = Schema.Union(CheckpointRun, CheckpointReply, CheckpointResume, CheckpointStarted, CheckpointBatch, CheckpointCount, CheckpointAsked)
export type CheckpointLine = typeof CheckpointLine.Type

/** What a checkpoint file holds, as read back. */
export interface CheckpointContents {
  readonly header: CheckpointHeader
  /** Every finished run, in the order written; a run re-run later appears again further down. */
  readonly runs: ReadonlyArray<RunResult>
  /** Every model reply recorded, in the order written (older checkpoints have none). */
  readonly replies: ReadonlyArray<CheckpointReply>
  readonly resumes: ReadonlyArray<CheckpointResume>
  /** Programs started and ended, in the order written (programStarts). */
  readonly started?: ReadonlyArray<CheckpointStarted> | undefined
  /** Message Batches submitted, about to be, and refused (--batch), in the order written. */
  readonly batches?: ReadonlyArray<CheckpointBatch> | undefined
  /** Texts counted by a token counting endpoint (older checkpoints have none). */
  readonly counts?: ReadonlyArray<CheckpointCount> | undefined
  /**
   * Model requests sent ("asked" lines) whose reply was never recorded: in flight when a session of
   * the benchmark ended (an interrupt, a crash, a kill). Older checkpoints have no asked lines: 0.
   */
  readonly unanswered?: number | undefined
  /** Whether the header names a signing key. */
  readonly signed?: boolean | undefined
  /** Where a verified checkpoint's chain of signatures stands: an append continues it. */
  readonly chain?: { readonly key: { readonly id: string; readonly key: Buffer }; readonly last: string } | null | undefined
  /** Lines left out because their signature did not match (1-based). */
  readonly refusedLines?: ReadonlyArray<number> | undefined
  /** A last line cut short by a crash, ignored: its 1-based line number. */
  readonly tornLine: number | null
  /** Bytes of the file that hold complete lines; an append starts here. */
  readonly validBytes: number
}
