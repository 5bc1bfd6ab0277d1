import type Anthropic from "@anthropic-ai/sdk"
import { type Duration, Effect, Layer } from "effect"
import { makeNodeFetch } from "./nodeFetch.js"
import { Llm, type LlmError, type LlmRequest } from "../services/Llm.js"
import { TokenCounter } from "../services/TokenCounter.js"
import { asReply, baseUrlOptions, fromSdkError, notAReply, requestIdOf, sdkRequest } from "./sdkErrors.js"

export interface AnthropicOptions {
  readonly apiKey: string
  readonly baseUrl?: string | undefined
}

type Sdk = typeof import("@anthropic-ai/sdk")

/** Maps whatever the SDK threw to an LlmError that keeps status, retry-after and request id. */
export const toLlmError = (sdk: Sdk, error: unknown): LlmError => fromSdkError(sdk.default, [529])(error)

export const toParams = (request: LlmRequest): Anthropic.MessageCreateParamsNonStreaming => {
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

/** What a 200 must hold to be read as a reply: the SDK hands back whatever body came. */
const isMessage = (body: unknown): body is Anthropic.Message =>
  typeof body === "object" &&
  body !== null &&
  Array.isArray((body as { content?: unknown }).content) &&
  typeof (body as { usage?: unknown }).usage === "object" &&
  (body as { usage?: unknown }).usage !== null

/** The reply in our accounting: `input_tokens` already excludes cached tokens. */
export const readMessage = asReply(isMessage, (m) => {
  // A usage object without its counts (an Anthropic-compatible proxy's {}): 0 for want of them, the cost unknown.
  const unreported = typeof m.usage.input_tokens !== "number" || typeof m.usage.output_tokens !== "number"
  return {
    text: m.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join(""),
    usage: {
      input: m.usage.input_tokens ?? 0,
      cacheWrite: m.usage.cache_creation_input_tokens ?? 0,
      cacheRead: m.usage.cache_read_input_tokens ?? 0,
      output: m.usage.output_tokens ?? 0,
      // No split reported: none spent if the reply holds no thinking, else unknown (null), never 0.
      reasoning:
        m.usage.output_tokens_details?.thinking_tokens ??
        (m.content.some((block) => block.type === "thinking" || block.type === "redacted_thinking") ? null : 0),
      ...(unreported ? { unreported: true } : {})
    },
    stopReason: m.stop_reason,
    model: m.model,
    requestId: requestIdOf(m)
  }
})

/** The SDK's client as every request here uses it. */
const makeClient = (sdk: Sdk, options: AnthropicOptions) =>
  new sdk.default({
    apiKey: options.apiKey,
    ...(options.baseUrl !== undefined ? baseUrlOptions(options.baseUrl) : {}),
    maxRetries: 0,
    fetch: makeNodeFetch(),
    // No OpenTelemetry spans or trace headers: this CLI registers no tracer, and building the
    // spans' attributes for a no-op tracer cost a quarter of a millisecond of CPU per request.
    openTelemetry: { traces: false, propagation: false },
    // Each request passes its own deadline (see complete); none for the client as a whole.
    timeout: 24 * 60 * 60 * 1000
  })

/** The Llm service on Anthropic's Messages API. Retries and timeouts are ours, not the SDK's. */
export const layer = (options: AnthropicOptions) =>
  Layer.effect(
    Llm,
    Effect.gen(function* () {
    // Loaded on first use, so commands that never call a model start fast.
    const sdk = yield* Effect.promise(() => import("@anthropic-ai/sdk"))
    const client = makeClient(sdk, options)
    // The SDK prints a deprecation notice with console.warn on every request to an old model: with
    // hundreds of requests that buries the progress. Its check runs synchronously inside create(),
    // so the notice is caught there and shown once per distinct text, as our own warning.
    const shown = new Set<string>()
    const create = (params: Anthropic.MessageCreateParamsNonStreaming, options: Anthropic.RequestOptions) => {
      const notices: Array<string> = []
      const warn = console.warn
      console.warn = (...args: Array<unknown>) => void notices.push(args.map(String).join(" "))
      try {
        return { pending: client.messages.create(params, options), notices }
      } finally {
        console.warn = warn
      }
    }
    const showOnce = (notices: ReadonlyArray<string>) =>
      notices.length === 0
        ? Effect.void
        : Effect.forEach(notices.filter((n) => !shown.has(n)), (n) => Effect.sync(() => shown.add(n)).pipe(Effect.zipRight(Effect.logWarning(n))), {
            discard: true
          })
    // Said once, as for the OpenAI layer: zero tokens from a reply without counts are no measurement.
    let warned = false
    const warnNoUsage = Effect.suspend(() => {
      if (warned) return Effect.void
      warned = true
      return Effect.logWarning("the server's replies carry no token counts: their tokens are counted as 0, and their cost is unknown")
    })
    return Llm.make({
      provider: "anthropic",
      timesOut: true,
      complete: (request) =>
        sdkRequest(
          request.timeout,
          (options) => {
            const { pending, notices } = create(toParams(request), options)
            return pending.then((message) => ({ message, notices }))
          },
          (error) => toLlmError(sdk, error)
        ).pipe(
          Effect.tap(({ notices }) => showOnce(notices)),
          Effect.flatMap(({ message }) => readMessage(message)),
          Effect.tap((reply) => (reply.usage.unreported === true ? warnNoUsage : Effect.void))
        )
    })
    })
  )

/** What a 200 from the token counting endpoint must hold. */
const isCount = (body: unknown): body is Anthropic.MessageTokensCount =>
  typeof body === "object" && body !== null && typeof (body as { input_tokens?: unknown }).input_tokens === "number"

/**
 * Anthropic's token counting endpoint (POST /v1/messages/count_tokens) as a TokenCounter: the input
 * tokens of a request to the model whose only content is one user message holding the text. Not
 * retried: a count that fails is "unknown" (ProgramTokens), never a failed run.
 */
export const counterLayer = (options: AnthropicOptions & { readonly timeout: Duration.Duration }) =>
  Layer.effect(
    TokenCounter,
    Effect.gen(function* () {
      const sdk = yield* Effect.promise(() => import("@anthropic-ai/sdk"))
      const client = makeClient(sdk, options)
      return TokenCounter.of({
        tokenizer: "anthropic",
        count: (model, text) =>
          sdkRequest(
            options.timeout,
            (request) => client.messages.countTokens({ model, messages: [{ role: "user", content: text }] }, request),
            (error) => toLlmError(sdk, error)
          ).pipe(
            Effect.filterOrFail(isCount, (body) => notAReply(body, requestIdOf(body))),
            Effect.map((body) => body.input_tokens)
          )
      })
    })
  )
