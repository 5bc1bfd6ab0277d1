import type Anthropic from "@anthropic-ai/sdk"
import { Effect, Either } from "effect"
import { LlmError, type LlmErrorKind } from "../services/Llm.js"
import { readMessage, toLlmError, toParams, type AnthropicOptions } from "./Anthropic.js"
import type { BatchApi, BatchResult, BatchState, ListedBatch } from "./Batch.js"
import { baseUrlOptions } from "./sdkErrors.js"

type Sdk = typeof import("@anthropic-ai/sdk")

/** What an error inside a batch is, in the retry policy's words. */
const kindOf = (type: string): LlmErrorKind =>
  type === "rate_limit_error"
    ? "rate_limit"
    : type === "overloaded_error"
      ? "overloaded"
      : type === "api_error" || type === "timeout_error"
        ? "server"
        : type === "authentication_error" || type === "permission_error" || type === "billing_error"
          ? "auth"
          : "request"

const failure = (kind: LlmErrorKind, message: string, requestId: string | null = null) =>
  new LlmError({ kind, status: null, retryAfterMs: null, requestId, message })

/** A batch as the API described it, or a request error if the answer is no batch (polling it would never end). */
const stateOf = (batch: Anthropic.Messages.MessageBatch): Effect.Effect<BatchState, LlmError> =>
  typeof batch?.id === "string" && ["in_progress", "canceling", "ended"].includes(batch.processing_status) && typeof batch.request_counts === "object"
    ? Effect.succeed(counted(batch))
    : Effect.fail(failure("request", `the API's answer is not a message batch (${JSON.stringify(batch).slice(0, 120)})`))

const counted = (batch: Anthropic.Messages.MessageBatch): BatchState => ({
  id: batch.id,
  ended: batch.processing_status === "ended",
  canceled: batch.processing_status === "canceling" || batch.cancel_initiated_at != null,
  counts: {
    processing: batch.request_counts.processing,
    succeeded: batch.request_counts.succeeded,
    errored: batch.request_counts.errored,
    expired: batch.request_counts.expired,
    canceled: batch.request_counts.canceled
  }
})

/** One line of a batch's results, as our reply or LlmError. */
const resultOf = (batchId: string) => (line: Anthropic.Messages.MessageBatchIndividualResponse): Effect.Effect<BatchResult> => {
  const customId = line.custom_id
  const result = line.result
  switch (result.type) {
    case "succeeded":
      return Effect.map(Effect.either(readMessage(result.message)), (outcome) => ({ customId, outcome }))
    case "errored": {
      const error = result.error.error
      return Effect.succeed({
        customId,
        outcome: Either.left(failure(kindOf(error.type), `in batch ${batchId}: ${error.type}: ${error.message}`, result.error.request_id ?? null))
      })
    }
    case "expired":
    case "canceled":
      // Not processed, so not billed: asked again in the next wave (unless the batch was canceled: Batch.ts stops then).
      return Effect.succeed({ customId, outcome: Either.left(failure("server", `in batch ${batchId}: the request ${result.type} before it was processed`)) })
  }
}

/**
 * Anthropic's Message Batches API through the official SDK: create, retrieve, the results
 * JSONL, and the list of batches (to find one whose create call was cut off). The SDK reads the results as a stream, so this client keeps the platform's fetch (the
 * buffered one of the Messages calls has no body stream); its calls are few.
 */
export const anthropicBatches = (options: AnthropicOptions): Effect.Effect<BatchApi> =>
  Effect.gen(function* () {
    const sdk: Sdk = yield* Effect.promise(() => import("@anthropic-ai/sdk"))
    const client = new sdk.default({
      apiKey: options.apiKey,
      ...(options.baseUrl !== undefined ? baseUrlOptions(options.baseUrl) : {}),
      maxRetries: 0,
      openTelemetry: { traces: false, propagation: false },
      timeout: 10 * 60 * 1000
    })
    const call = <A>(send: (signal: AbortSignal) => Promise<A>) =>
      Effect.tryPromise({ try: send, catch: (error) => toLlmError(sdk, error) })
    return {
      provider: "anthropic",
      submit: (requests) =>
        call((signal) =>
          client.messages.batches.create({ requests: requests.map((r) => ({ custom_id: r.customId, params: toParams(r.request) })) }, { signal })
        ).pipe(Effect.flatMap(stateOf)),
      status: (id) => call((signal) => client.messages.batches.retrieve(id, {}, { signal })).pipe(Effect.flatMap(stateOf)),
      results: (id) =>
        call(async (signal) => {
          const lines: Array<Anthropic.Messages.MessageBatchIndividualResponse> = []
          for await (const line of await client.messages.batches.results(id, {}, { signal })) lines.push(line)
          return lines
        }).pipe(Effect.flatMap((lines) => Effect.forEach(lines, resultOf(id)))),
      // Newest first, page after page (the SDK follows after_id), until one created before `since`.
      list: (since, until) =>
        call(async (signal) => {
          const found: Array<ListedBatch> = []
          for await (const batch of client.messages.batches.list({ limit: 100 }, { signal })) {
            const createdAt = new Date(batch.created_at)
            if (createdAt < since) break
            if (createdAt > until) continue
            const c = batch.request_counts
            // No tag: a Message Batch keeps nothing of the caller's but its requests.
            found.push({ id: batch.id, createdAt, requests: c.processing + c.succeeded + c.errored + c.expired + c.canceled, ended: batch.processing_status === "ended" })
          }
          return found
        })
    } satisfies BatchApi
  })
