import { Schema } from "effect"

/**
 * Token counts as the Llm service normalises them: `input` excludes cached tokens, so
 * input + cacheWrite + cacheRead is everything the model read; `reasoning` is the part of
 * `output` spent thinking rather than writing the reply (null, or absent, when the provider
 * reported no split: unknown, not 0).
 */
export const Usage = Schema.Struct({
  input: Schema.Number,
  cacheWrite: Schema.Number,
  cacheRead: Schema.Number,
  output: Schema.Number,
  /** null: the provider reported no reasoning split. */
  reasoning: Schema.optional(Schema.NullOr(Schema.Number)),
  /** true: the reply carried no usage at all; its tokens are counted as 0 and its cost is unknown. */
  unreported: Schema.optional(Schema.Boolean)
})

/** A model's reply as a cassette or a checkpoint keeps it: the Llm service's reply, field for field. */
export const ModelReply = Schema.Struct({
  text: Schema.String,
  usage: Usage,
  stopReason: Schema.NullOr(Schema.String),
  model: Schema.String,
  requestId: Schema.NullOr(Schema.String),
  /** The Message Batch that answered it (--batch); absent for a reply to a request of its own. */
  batchId: Schema.optional(Schema.String)
})
export type ModelReply = typeof ModelReply.Type

export const LlmErrorKind = Schema.Literal("rate_limit", "overloaded", "server", "connection", "timeout", "auth", "request")
/** What a failed call keeps; a cassette writes these fields to disk. */
export const llmErrorFields = {
  kind: LlmErrorKind,
  status: Schema.NullOr(Schema.Number),
  retryAfterMs: Schema.NullOr(Schema.Number),
  requestId: Schema.NullOr(Schema.String),
  message: Schema.String,
  /**
   * The request never reached the server (connection refused, host not found): nothing was read,
   * so nothing can have been billed, and it is no request abandoned after sending. Absent: it may
   * have been sent.
   */
  notSent: Schema.optional(Schema.Boolean)
}
