import type Anthropic from "@anthropic-ai/sdk"
import { Effect, Layer } from "effect"
import { makeNodeFetch } from "./nodeFetch.js"
import { Llm, LlmError, parseRetryAfter, type LlmErrorKind, type LlmRequest } from "../services/Llm.js"

export interface AnthropicOptions {
  readonly apiKey: string
  readonly baseUrl?: string | undefined
}

const kindOfStatus = (status: number): LlmErrorKind =>
  status === 429
    ? "rate_limit"
    : status === 529
      ? "overloaded"
      : status === 408
        ? "timeout"
        : status === 401 || status === 403
          ? "auth"
          : status >= 500 || status === 409
            ? "server"
            : "request"

type Sdk = typeof import("@anthropic-ai/sdk")

/** Maps whatever the SDK threw to an LlmError that keeps status, retry-after and request id. */
export const toLlmError = (sdk: Sdk, error: unknown): LlmError => {
  const Anthropic = sdk.default
  if (error instanceof Anthropic.APIConnectionTimeoutError)
    return new LlmError({ kind: "timeout", status: null, retryAfterMs: null, requestId: null, message: error.message })
  if (error instanceof Anthropic.APIError && error.status !== undefined) {
    const headers = error.headers
    return new LlmError({
      kind: kindOfStatus(error.status),
      status: error.status,
      retryAfterMs: headers ? parseRetryAfter((name) => headers.get(name)) : null,
      requestId: error.requestID ?? null,
      message: error.message
    })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new LlmError({ kind: "connection", status: null, retryAfterMs: null, requestId: null, message })
}

const toParams = (request: LlmRequest): Anthropic.MessageCreateParamsNonStreaming => {
  const marked = request.system.some((block) => block.cache === true)
  const single = request.system.length === 1 ? request.system[0] : undefined
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    // The seed sent the system prompt as a plain string; blocks only when there is a cache mark.
    system:
      single !== undefined && !marked
        ? single.text
        : request.system.map((block) => ({
            type: "text" as const,
            text: block.text,
            ...(block.cache === true ? { cache_control: { type: "ephemeral" as const } } : {})
          })),
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    // Never `temperature`: the API version this SDK sends rejects it, so the CLI refuses the flag.
    ...(request.thinkingBudget !== undefined
      ? { thinking: { type: "enabled" as const, budget_tokens: request.thinkingBudget } }
      : {})
  }
}

/** The Llm service on Anthropic's Messages API. Retries and timeouts are ours, not the SDK's. */
export const AnthropicLlm = (options: AnthropicOptions) =>
  Layer.effect(
    Llm,
    Effect.gen(function* () {
    // Loaded on first use, so commands that never call a model start fast.
    const sdk = yield* Effect.promise(() => import("@anthropic-ai/sdk"))
    const client = new sdk.default({
      apiKey: options.apiKey,
      ...(options.baseUrl !== undefined ? { baseURL: options.baseUrl } : {}),
      maxRetries: 0,
      fetch: makeNodeFetch(),
      // No OpenTelemetry spans or trace headers: this CLI registers no tracer, and building the
      // spans' attributes for a no-op tracer cost a quarter of a millisecond of CPU per request.
      openTelemetry: { traces: false, propagation: false },
      // Our Effect.timeoutFail aborts the request; the SDK's own clock stays out of the way.
      timeout: 24 * 60 * 60 * 1000
    })
    return Llm.make({
      provider: "anthropic",
      complete: (request) =>
        Effect.tryPromise({
          try: (signal) => client.messages.create(toParams(request), { signal }),
          catch: (error) => toLlmError(sdk, error)
        }).pipe(
          Effect.map((message) => ({
            text: message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join(""),
            usage: {
              input: message.usage.input_tokens,
              cacheWrite: message.usage.cache_creation_input_tokens ?? 0,
              cacheRead: message.usage.cache_read_input_tokens ?? 0,
              output: message.usage.output_tokens,
              reasoning: message.usage.output_tokens_details?.thinking_tokens ?? 0
            },
            stopReason: message.stop_reason,
            model: message.model,
            requestId: message._request_id ?? null
          }))
        )
    })
    })
  )
