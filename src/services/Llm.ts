import { Context, Duration, type Effect, Schema } from "effect"
import type { ReplayMiss } from "../domain/Cassette.js"
import type { BatchCanceled } from "../providers/Batch.js"
import type { EndpointUnusable } from "../providers/StopEarly.js"
import { LlmErrorKind, llmErrorFields, type ModelReply, type Usage as UsageSchema } from "../domain/Reply.js"

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
  /** Sampling temperature, for providers that accept it (the CLI refuses it where they do not). */
  readonly temperature?: number | undefined
  /** Extended thinking budget in tokens (Anthropic); counts toward maxTokens. */
  readonly thinkingBudget?: number | undefined
  /**
   * Which exchange of the benchmark this is (set by the closed loop), for layers that must say so:
   * a recording files it, a replay names the run it cannot reproduce. Never sent to a model.
   */
  readonly exchange?: ExchangeLabel | undefined
}

/** Token counts normalised once, in the provider layer (domain/Reply.ts says how). */
export type Usage = typeof UsageSchema.Type

/** What a model call returns: exactly what a cassette or a checkpoint keeps of it. */
export type LlmReply = ModelReply

export type LlmErrorKind = typeof LlmErrorKind.Type

/** A failed model call. It keeps what a retry policy and a person reading the report need. */
export class LlmError extends Schema.TaggedError<LlmError>()("LlmError", llmErrorFields) {
  /** Worth asking again: the fault is the service's or the network's, not the request's. */
  get retryable(): boolean {
    return this.kind !== "auth" && this.kind !== "request"
  }
}

/** A request that got no reply within its timeout (callModel's timeout, and a replayed one). */
export const requestTimedOut = (timeout: Duration.Duration) =>
  new LlmError({
    kind: "timeout",
    status: null,
    retryAfterMs: null,
    requestId: null,
    message: `no reply within ${Duration.format(timeout)}`
  })

/** Which exchange of the benchmark a model call is, for layers that must say so (a replay miss). */
export interface ExchangeLabel {
  readonly task: string
  readonly language: string
  readonly model: string
  readonly trial: number
  readonly attempt: number
}

/**
 * A failure after which no run can go on, so the benchmark stops: a replay lacking a request (the
 * recording cannot be reproduced), an endpoint that cannot answer (a refused key, an unknown
 * model, nothing at the address), or a batch canceled outside ilo-bench. Any other failure is an
 * LlmError and ends only its run.
 */
export type LlmStop = ReplayMiss | EndpointUnusable | BatchCanceled

export class Llm extends Context.Tag("ilo-bench/Llm")<
  Llm,
  {
    readonly provider: string
    /** Fails with an LlmStop only when the benchmark must stop: see LlmStop. */
    readonly complete: (request: LlmRequest) => Effect.Effect<LlmReply, LlmError | LlmStop>
    /**
     * True when `complete` itself fails with `requestTimedOut` once `request.timeout` passes
     * without a reply (an SDK's own per-request deadline); callModel then sets no timer of its
     * own. A race against a timer costs two fibers per request, a deadline in the SDK one timer.
     */
    readonly timesOut?: boolean | undefined
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
