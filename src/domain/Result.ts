import { Schema } from "effect"
import { AttemptCount, AttemptNumber, TrialNumber } from "./limits.js"
import { Outcome, ProgramOutcome } from "./Outcome.js"

/** One model call and the run of the program it returned. */
export const Attempt = Schema.Struct({
  attempt: AttemptNumber,
  outcome: ProgramOutcome,
  input_tokens: Schema.Number,
  cache_write_tokens: Schema.Number,
  cache_read_tokens: Schema.Number,
  output_tokens: Schema.Number,
  /**
   * Of output_tokens, those spent thinking (Anthropic) or reasoning (OpenAI), not writing the
   * program; null when the provider did not say (it reported no split), which is not 0.
   */
  reasoning_tokens: Schema.optionalWith(Schema.NullOr(Schema.Number), { default: () => null }),
  /** input + cache write + cache read: everything the model read. */
  total_input_tokens: Schema.Number,
  /** At the catalog's list prices; null when the model has no price there. */
  cost_usd: Schema.NullOr(Schema.Number),
  stop_reason: Schema.NullOr(Schema.String),
  model_id: Schema.String,
  exit_code: Schema.NullOr(Schema.Number),
  timed_out: Schema.Boolean,
  duration_ms: Schema.Number,
  /** The program came out of a fenced block of the reply (see program_source). */
  unfenced: Schema.Boolean,
  program: Schema.String,
  /** The program's tokens per tokenizer ({ "o200k_base": n, ... }); absent in results from before they were counted. */
  program_tokens: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })),
  /** Where in the reply the program was: all of it, the block tagged with the language, the first block. */
  program_source: Schema.optional(Schema.Literal("whole", "tagged-block", "first-block")),
  /** Complete fenced blocks the reply held. */
  fenced_blocks: Schema.optional(Schema.Number),
  /** What of the reply was not run: prose and other blocks around the program ("" when nothing was). */
  dropped: Schema.optional(Schema.String),
  error_detail: Schema.NullOr(Schema.String),
  /** With --confirm N, a program that worked ran N times in all (fresh directories): how many of them worked. */
  confirmations: Schema.optional(Schema.Struct({ runs: Schema.Number, working: Schema.Number })),
  /** --batch: the Message Batch that answered this attempt's request. */
  batch_id: Schema.optional(Schema.String)
})
export type Attempt = typeof Attempt.Type

/** An API failure that exhausted its retries, or one that was retried. */
export const ApiFailure = Schema.Struct({
  attempt: Schema.Number,
  kind: Schema.String,
  status: Schema.NullOr(Schema.Number),
  request_id: Schema.NullOr(Schema.String),
  message: Schema.String
})
export type ApiFailure = typeof ApiFailure.Type

/**
 * A model request the harness gave up on (its request timeout, a dropped connection) after sending
 * the prompt: the provider may have read, and billed, the prompt. Its tokens are unknown, so they
 * are in no token count and no cost; reports say so rather than count it as nothing.
 */
export const AbandonedRequest = Schema.Struct({
  attempt: Schema.Number,
  /** When it was given up (ISO 8601). */
  at: Schema.String,
  /** "timeout" or "connection". */
  reason: Schema.String,
  message: Schema.String,
  /** Characters of prompt sent (system and messages). */
  prompt_chars: Schema.Number
})
export type AbandonedRequest = typeof AbandonedRequest.Type

/**
 * One run: task x language x model. The first block is the seed's record, field for field; the
 * second the fields the ilo project's later harness added; then ours.
 */
export const RunResult = Schema.Struct({
  task: Schema.String,
  language: Schema.String,
  model: Schema.String,
  model_id: Schema.String,
  generation_tokens: Schema.Number,
  input_tokens: Schema.Number,
  repair_tokens_by_turn: Schema.Array(Schema.Number),
  attempts_to_success: Schema.NullOr(Schema.Number),
  attempts_total: AttemptCount,
  success_rate: Schema.Number,
  wall_time_s: Schema.Number,
  final_outcome: Outcome,
  /** Start to end of the run, waits for a free model or program slot included (wall_time_s leaves them out). */
  elapsed_s: Schema.optionalWith(Schema.NullOr(Schema.Number), { default: () => null }),

  provider: Schema.String,
  generated_chars: Schema.Number,
  final_code_chars: Schema.Number,
  code_chars_by_turn: Schema.Array(Schema.Number),
  /** The last attempt's program_tokens. */
  final_program_tokens: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })),
  finish_reasons: Schema.Array(Schema.NullOr(Schema.String)),
  truncated_attempts: Schema.Number,

  input_cache_hit_tokens: Schema.Number,
  input_cache_write_tokens: Schema.Number,
  input_cache_miss_tokens: Schema.Number,
  /** The ilo context set the model was sent (null for other languages). */
  context: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /** --cache and --align, on each run as the ilo project's later harness writes them: a merged sweep keeps them. */
  cache_mode: Schema.optional(Schema.Literal("warm", "cold")),
  align: Schema.optional(Schema.Boolean),
  api_retries: Schema.Number,
  /** 1-based; with --trials N each task x language x model runs N times. */
  trial: Schema.optionalWith(TrialNumber, { default: () => 1 }),
  /** null when any attempt's provider reported no reasoning split (unknown). */
  reasoning_tokens: Schema.optionalWith(Schema.NullOr(Schema.Number), { default: () => null }),
  /** With --confirm N: the program that decided the run did not work on every one of its N runs. */
  flaky: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** Requests given up on after sending, per attempt: billing unknown (see AbandonedRequest). */
  abandoned_requests: Schema.optionalWith(Schema.Array(AbandonedRequest), { default: () => [] }),
  api_error: Schema.NullOr(ApiFailure),
  cost_usd: Schema.NullOr(Schema.Number),
  /** The task's note of a known defect of this language's interpreter that fails correct programs. */
  known_issue: Schema.optional(Schema.String),
  effective_input_tokens: Schema.Number,
  /** --batch: the requests went in Message Batches, and cost_usd is at the batch price. */
  batch: Schema.optional(Schema.Boolean),
  cache_savings_usd: Schema.NullOr(Schema.Number),
  attempts: Schema.Array(Attempt)
})
export type RunResult = typeof RunResult.Type
