import { Data, Schema } from "effect"
import { llmErrorFields, ModelReply } from "./Reply.js"

/** The part of a model request that decides its reply: what the cassette key is made of. */
export const CassetteRequest = Schema.Struct({
  provider: Schema.String,
  model: Schema.String,
  system: Schema.Array(Schema.Struct({ text: Schema.String, cache: Schema.Boolean })),
  messages: Schema.Array(Schema.Struct({ role: Schema.Literal("user", "assistant"), content: Schema.String })),
  max_tokens: Schema.Number,
  temperature: Schema.NullOr(Schema.Number),
  thinking_budget: Schema.NullOr(Schema.Number)
})
export type CassetteRequest = typeof CassetteRequest.Type

/** How one call ended: a reply, an API error, or no reply within the request timeout. */
export const CassetteOutcome = Schema.Union(
  Schema.TaggedStruct("Reply", ModelReply.fields),
  // On disk as "Error" (cassettes already recorded say so), with the LlmError's own fields.
  Schema.TaggedStruct("Error", llmErrorFields),
  Schema.TaggedStruct("Timeout", {})
)
export type CassetteOutcome = typeof CassetteOutcome.Type

/** One line of a cassette: the request, which exchange of the benchmark it was, and how it ended. */
export const CassetteEntry = Schema.Struct({
  key: Schema.String,
  task: Schema.NullOr(Schema.String),
  language: Schema.NullOr(Schema.String),
  model: Schema.NullOr(Schema.String),
  trial: Schema.Number,
  attempt: Schema.NullOr(Schema.Number),
  request: CassetteRequest,
  outcome: CassetteOutcome
})
export type CassetteEntry = typeof CassetteEntry.Type

/**
 * One count of a provider's token counting endpoint (--count-tokens anthropic): which model, the
 * counted text by its sha256, and the endpoint's count, or null with the error it gave. A replay
 * answers the same count without asking (and without a key).
 */
export const CassetteCount = Schema.Struct({
  type: Schema.Literal("count"),
  provider: Schema.String,
  model: Schema.String,
  text_sha256: Schema.String,
  tokens: Schema.NullOr(Schema.Number),
  error: Schema.optional(Schema.String)
})
export type CassetteCount = typeof CassetteCount.Type

/** Any line of a cassette: a model exchange, or a count. */
export const CassetteLine = Schema.Union(CassetteEntry, CassetteCount)
export type CassetteLine = typeof CassetteLine.Type

/** A cassette that cannot be read or written (bad input: exit 2). */
export class CassetteError extends Data.TaggedError("CassetteError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `cassette ${this.path}: ${this.reason}`
  }
}

/** A replayed request that the cassette does not hold: the replay cannot go on (exit 2). */
export class ReplayMiss extends Data.TaggedError("ReplayMiss")<{
  readonly path: string
  readonly task: string
  readonly language: string
  readonly model: string
  readonly trial: number
  readonly attempt: number | null
  /** Why, where the cassette itself tells (empty, another provider's); else the settings or prompts differ. */
  readonly why?: string | undefined
}> {
  override get message() {
    return (
      `--replay ${this.path} has no recorded exchange for task ${this.task}, language ${this.language}, ` +
      `model ${this.model}, trial ${this.trial}, attempt ${this.attempt ?? "?"} ` +
      `(${this.why ?? "the run's settings or prompts differ from the recording"}; --replay-fallthrough asks the live provider)`
    )
  }
}
