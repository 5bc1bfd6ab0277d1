import type OpenAI from "openai"
import { Effect, Either } from "effect"
import { LlmError, type LlmErrorKind } from "../services/Llm.js"
import type { BatchApi, BatchResult, BatchState, ListedBatch } from "./Batch.js"
import { hasChoice, OPENAI_DEFAULT_BASE_URL, toLlmError, toParams, toReply, type OpenAiOptions } from "./OpenAi.js"
import { baseUrlOptions, notAReply } from "./sdkErrors.js"

/** What a request's status inside a batch is, in the retry policy's words. */
const kindOfStatus = (status: number): LlmErrorKind =>
  status === 429 ? "rate_limit" : status === 401 || status === 403 ? "auth" : status >= 500 || status === 408 ? "server" : "request"

const failure = (kind: LlmErrorKind, status: number | null, message: string, requestId: string | null = null) =>
  new LlmError({ kind, status, retryAfterMs: null, requestId, message })

/** The metadata key of a batch's tag (Batch.ts: the digest of its requests' custom_ids). */
const TAG_KEY = "ilo_bench_requests"

/** Batches that will change no more. */
const OVER = new Set(["completed", "failed", "expired", "cancelled"])
const UNDER_WAY = new Set(["validating", "in_progress", "finalizing", "cancelling"])

/** A batch as the server described it, or a request error if the answer is no batch (polling it would never end). */
const stateOf = (batch: OpenAI.Batches.Batch): Effect.Effect<BatchState, LlmError> =>
  typeof batch?.id === "string" && (OVER.has(batch.status) || UNDER_WAY.has(batch.status))
    ? Effect.succeed(counted(batch))
    : Effect.fail(failure("request", null, `the server's answer is not a batch (${JSON.stringify(batch).slice(0, 120)}): no batch API at this address?`))

const counted = (batch: OpenAI.Batches.Batch): BatchState => {
  const counts = batch.request_counts ?? { total: 0, completed: 0, failed: 0 }
  const ended = OVER.has(batch.status)
  return {
    id: batch.id,
    ended,
    canceled: batch.status === "cancelled" || batch.status === "cancelling",
    counts: {
      processing: ended ? 0 : Math.max(0, counts.total - counts.completed - counts.failed),
      succeeded: counts.completed,
      errored: counts.failed,
      expired: 0,
      canceled: 0
    }
  }
}

/** One line of a batch's output or error file: the chat completion, or why there is none. */
interface OutputLine {
  readonly custom_id: string
  readonly response?: { readonly status_code: number; readonly request_id?: string | null; readonly body: unknown } | null
  readonly error?: { readonly code?: string | null; readonly message?: string | null } | null
}

const resultOf = (batchId: string) => (line: OutputLine): BatchResult => {
  const response = line.response
  // A 200 whose body is no chat completion is the service's fault, as in interactive mode (retried), not a reply.
  if (response != null && response.status_code === 200)
    return {
      customId: line.custom_id,
      outcome: hasChoice(response.body)
        ? Either.right(toReply(response.body, response.request_id ?? null))
        : Either.left(notAReply(response.body, response.request_id ?? null))
    }
  const detail = line.error?.message ?? JSON.stringify((response?.body as { error?: unknown } | undefined)?.error ?? response?.body ?? null)
  // An expired or cancelled request was not processed: the service's to answer, asked again (a canceled batch stops instead: Batch.ts).
  const kind = response != null ? kindOfStatus(response.status_code) : "server"
  return {
    customId: line.custom_id,
    outcome: Either.left(failure(kind, response?.status_code ?? null, `in batch ${batchId}: ${line.error?.code ?? response?.status_code}: ${detail}`, response?.request_id ?? null))
  }
}

const jsonLines = (text: string): Array<OutputLine> =>
  text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as OutputLine)

/**
 * OpenAI's Batch API through the official SDK: the requests uploaded as a JSONL file
 * (purpose "batch"), a batch of /v1/chat/completions over it, polled, and its output and error
 * files read back; the list of batches finds one whose create call was cut off. Only a server that has this API answers (OpenAI's own; most local servers do not).
 */
export const openAiBatches = (options: OpenAiOptions): Effect.Effect<BatchApi> =>
  Effect.gen(function* () {
    const sdk = yield* Effect.promise(() => import("openai"))
    const baseURL = options.baseUrl ?? OPENAI_DEFAULT_BASE_URL
    const officialApi = new URL(baseURL).hostname === "api.openai.com"
    const client = new sdk.default({ apiKey: options.apiKey ?? "none", ...baseUrlOptions(baseURL), maxRetries: 0, timeout: 10 * 60 * 1000 })
    const call = <A>(send: (signal: AbortSignal) => Promise<A>) =>
      Effect.tryPromise({ try: send, catch: (error) => (error instanceof LlmError ? error : toLlmError(sdk, error)) })
    const fileText = (id: string, signal: AbortSignal) => client.files.content(id, { signal }).then((response) => response.text())
    return {
      provider: "openai",
      submit: (requests, tag) =>
        call(async (signal) => {
          const jsonl = requests
            .map((r) => JSON.stringify({ custom_id: r.customId, method: "POST", url: "/v1/chat/completions", body: toParams(r.request, officialApi) }))
            .join("\n")
          const file = await client.files.create({ file: await sdk.toFile(Buffer.from(jsonl + "\n"), "requests.jsonl"), purpose: "batch" }, { signal })
          // The tag in its metadata: a resume that never heard back from this call knows the batch by it in the list.
          return client.batches.create(
            { input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { [TAG_KEY]: tag } },
            { signal }
          )
        }).pipe(
          // Most OpenAI-compatible servers (Ollama, vLLM, llama-server) have no batch API: say so.
          Effect.mapError((e) =>
            e.status === 404
              ? new LlmError({ kind: e.kind, status: e.status, retryAfterMs: e.retryAfterMs, requestId: e.requestId, message: `no batch API at this address (POST /files or /batches: ${e.message}); drop --batch for this server` })
              : e
          ),
          Effect.flatMap(stateOf)
        ),
      status: (id) => call((signal) => client.batches.retrieve(id, { signal })).pipe(Effect.flatMap(stateOf)),
      results: (id) =>
        call(async (signal) => {
          const batch = await client.batches.retrieve(id, { signal })
          if (batch.status === "failed")
            throw failure("request", null, `batch ${id} failed: ${(batch.errors?.data ?? []).map((e) => `${e.code}: ${e.message}`).join("; ") || "no reason given"}`)
          const files = [batch.output_file_id, batch.error_file_id].filter((f): f is string => typeof f === "string" && f !== "")
          const texts = await Promise.all(files.map((f) => fileText(f, signal)))
          return texts.flatMap(jsonLines)
        }).pipe(Effect.map((lines) => lines.map(resultOf(id)))),
      // Newest first, page after page (the SDK follows `after`), until one created before `since`.
      list: (since, until) =>
        call(async (signal) => {
          const found: Array<ListedBatch> = []
          for await (const batch of client.batches.list({ limit: 100 }, { signal })) {
            const createdAt = new Date(batch.created_at * 1000)
            if (createdAt < since) break
            if (createdAt > until || batch.endpoint !== "/v1/chat/completions") continue
            // A batch still validating its file counts 0 requests: not known yet.
            const total = batch.request_counts?.total ?? 0
            const tag = batch.metadata?.[TAG_KEY]
            found.push({ id: batch.id, createdAt, requests: total > 0 ? total : undefined, ended: OVER.has(batch.status), tag: typeof tag === "string" ? tag : undefined })
          }
          return found
        })
    } satisfies BatchApi
  })
