import { Context, Data, type Duration, type Effect } from "effect"

/** A block of system prompt; `cache` marks a prompt-cache breakpoint after it. */
export interface SystemBlock {
  readonly text: string
  readonly cache?: boolean | undefined
}

export interface Message {
  readonly role: "user" | "assistant"
  readonly content: string
}

export interface LlmRequest {
  readonly model: string
  readonly system: ReadonlyArray<SystemBlock>
  readonly messages: ReadonlyArray<Message>
  readonly maxTokens: number
  readonly timeout: Duration.Duration
}

/**
 * Token counts normalised once, in the provider layer: `input` excludes cached tokens, so
 * input + cacheWrite + cacheRead is everything the model read.
 */
export interface Usage {
  readonly input: number
  readonly cacheWrite: number
  readonly cacheRead: number
  readonly output: number
}

export interface LlmReply {
  readonly text: string
  readonly usage: Usage
  readonly stopReason: string | null
  readonly model: string
  readonly requestId: string | null
}

export type LlmErrorKind = "rate_limit" | "overloaded" | "server" | "connection" | "timeout" | "auth" | "request"

/** A failed model call. It keeps what a retry policy and a person reading the report need. */
export class LlmError extends Data.TaggedError("LlmError")<{
  readonly kind: LlmErrorKind
  readonly status: number | null
  readonly retryAfterMs: number | null
  readonly requestId: string | null
  readonly message: string
}> {
  /** Worth asking again: the fault is the service's or the network's, not the request's. */
  get retryable(): boolean {
    return this.kind !== "auth" && this.kind !== "request"
  }
}

export class Llm extends Context.Tag("ilo-bench/Llm")<
  Llm,
  {
    readonly provider: string
    readonly complete: (request: LlmRequest) => Effect.Effect<LlmReply, LlmError>
  }
>() {
  static make = (impl: Context.Tag.Service<Llm>): Context.Tag.Service<Llm> => impl
}

/** Parses a Retry-After header (seconds or an HTTP date) or retry-after-ms, into milliseconds. */
export const parseRetryAfter = (
  get: (name: string) => string | null | undefined,
  now: number = Date.now()
): number | null => {
  const ms = get("retry-after-ms")
  if (ms != null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms))
  const value = get("retry-after")
  if (value == null || value.trim() === "") return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}
