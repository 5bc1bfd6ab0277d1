import type OpenAI from "openai"
import { Effect, Layer } from "effect"
import { Llm, type LlmError, type LlmReply, type LlmRequest } from "../services/Llm.js"
import { makeNodeFetch } from "./nodeFetch.js"
import { asReply, baseUrlOptions, fromSdkError, requestIdOf, sdkRequest } from "./sdkErrors.js"

export interface OpenAiOptions {
  /** Optional for a local server (Ollama, vLLM, llama-server), which ignores it. */
  readonly apiKey?: string | undefined
  readonly baseUrl?: string | undefined
}

/** OpenAI's own API; any other base URL is an OpenAI-compatible server. */
export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"

type Sdk = typeof import("openai")

/** Maps whatever the SDK threw to an LlmError that keeps status, retry-after and request id. */
export const toLlmError = (sdk: Sdk, error: unknown): LlmError => fromSdkError(sdk.default, [503, 529])(error)

/**
 * The chat completions request. OpenAI's own API wants `max_completion_tokens` (its reasoning models
 * reject `max_tokens`); local servers have long understood `max_tokens`, so they get that.
 */
export const toParams = (request: LlmRequest, officialApi: boolean): OpenAI.ChatCompletionCreateParamsNonStreaming => {
  const system = request.system.map((block) => block.text).join("\n\n")
  return {
    model: request.model,
    messages: [
      ...(system !== "" ? [{ role: "system" as const, content: system }] : []),
      ...request.messages.map((m) => ({ role: m.role, content: m.content }))
    ],
    ...(officialApi ? { max_completion_tokens: request.maxTokens } : { max_tokens: request.maxTokens }),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {})
  }
}

/** DeepSeek's usage adds the prompt cache's hit and miss counts (their sum is prompt_tokens). */
interface DeepSeekUsage {
  readonly prompt_cache_hit_tokens?: unknown
  readonly prompt_cache_miss_tokens?: unknown
}

/**
 * The reply in our accounting, normalised once, here: `input` excludes cached prompt tokens (they
 * are `cacheRead`), `output` includes reasoning tokens (also kept apart as `reasoning`), and a
 * reply cut at the token limit ("length") has the stop reason "max_tokens", as with Anthropic.
 */
export const toReply = (completion: OpenAI.ChatCompletion, requestId: string | null): LlmReply => {
  const choice = completion.choices[0]
  const usage = completion.usage
  // DeepSeek reports its prompt cache in fields of its own, hit and miss: taken as they are, when present.
  const deepSeek = usage as DeepSeekUsage | undefined
  const hit = deepSeek?.prompt_cache_hit_tokens
  const miss = deepSeek?.prompt_cache_miss_tokens
  const prompt: number | undefined =
    typeof usage?.prompt_tokens === "number" ? usage.prompt_tokens : typeof hit === "number" && typeof miss === "number" ? hit + miss : undefined
  // No count of what was read or written (no usage, or an empty one): 0 for want of one, the cost unknown.
  const unreported = prompt === undefined || typeof usage?.completion_tokens !== "number"
  // Part of prompt_tokens: a server that says more were cached than were sent is held to what it sent.
  const cached = Math.min(prompt ?? 0, typeof hit === "number" ? hit : usage?.prompt_tokens_details?.cached_tokens ?? 0)
  const uncached = typeof hit === "number" && typeof miss === "number" ? miss : Math.max(0, (prompt ?? 0) - cached)
  const finish = choice?.finish_reason ?? null
  return {
    text: choice?.message.content ?? "",
    usage: {
      input: uncached,
      cacheWrite: 0,
      cacheRead: cached,
      output: usage?.completion_tokens ?? 0,
      // A server that reports no split leaves it unknown: null, not 0.
      reasoning: usage?.completion_tokens_details?.reasoning_tokens ?? null,
      ...(unreported ? { unreported: true } : {})
    },
    stopReason: finish === "length" ? "max_tokens" : finish,
    model: completion.model,
    requestId
  }
}

/**
 * What a 200 must hold to be read as a reply: at least one choice with a message. (Its content may
 * be null: that is the model answering nothing, a failed attempt, not a failed call.)
 */
export const hasChoice = (body: unknown): body is OpenAI.ChatCompletion => {
  const choices = typeof body === "object" && body !== null ? (body as { choices?: unknown }).choices : undefined
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined
  const message: unknown = typeof first === "object" && first !== null ? (first as { message?: unknown }).message : undefined
  return typeof message === "object" && message !== null
}

const readCompletion = asReply(hasChoice, (completion) => toReply(completion, requestIdOf(completion)))

/** The Llm service on the chat completions API (OpenAI or a compatible server). Retries and timeouts are ours. */
export const layer = (options: OpenAiOptions) =>
  Layer.effect(
    Llm,
    Effect.gen(function* () {
    // Loaded on first use, so commands that never call a model start fast.
    const sdk = yield* Effect.promise(() => import("openai"))
    const baseURL = options.baseUrl ?? OPENAI_DEFAULT_BASE_URL
    const officialApi = new URL(baseURL).hostname === "api.openai.com"
    const client = new sdk.default({
      // The SDK insists on a key; a local server ignores whatever it is sent.
      apiKey: options.apiKey ?? "none",
      ...baseUrlOptions(baseURL),
      maxRetries: 0,
      fetch: makeNodeFetch(),
      // Each request passes its own deadline (see complete); none for the client as a whole.
      timeout: 24 * 60 * 60 * 1000
    })
    // Some local servers send no usage: said once, so that zero tokens are not taken for a measurement.
    let warned = false
    const warnNoUsage = Effect.suspend(() => {
      if (warned) return Effect.void
      warned = true
      return Effect.logWarning("the server's replies carry no token usage: their tokens are counted as 0, and their cost is unknown")
    })
    return Llm.make({
      provider: "openai",
      timesOut: true,
      complete: (request) =>
        sdkRequest(
          request.timeout,
          (options) => client.chat.completions.create(toParams(request, officialApi), options),
          (error) => toLlmError(sdk, error)
        ).pipe(
          Effect.flatMap(readCompletion),
          Effect.tap((reply) => (reply.usage.unreported === true ? warnNoUsage : Effect.void))
        )
    })
    })
  )

/** Loopback and private-network hosts: a local model server, where a key is optional. */
export const isLocalUrl = (url: string) => {
  let host: string
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "")
  } catch {
    return false
  }
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host.endsWith(".local") ||
    host === "::1" ||
    host === "0.0.0.0" ||
    /^127\./.test(host) ||
    /^10\./.test(host) ||
    /^192\.168\./.test(host) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(host)
  )
}
