import { startScriptedServer, type Fault, type FakeServer, type RecordedRequest, type WireFormat } from "./scriptedServer.js"

export type { FakeServer, RecordedRequest } from "./scriptedServer.js"

/** What the scripted server answers to one request. */
export type Reply =
  | {
      readonly text: string
      readonly inputTokens?: number
      readonly outputTokens?: number
      readonly cacheWrite?: number
      readonly cacheRead?: number
      /** Extended thinking: a thinking block before the text, and these tokens in output_tokens_details. */
      readonly thinkingTokens?: number
      readonly stopReason?: string
      readonly delayMs?: number
      /** The usage object without its token counts, as a proxy that strips them sends it. */
      readonly noUsage?: boolean
    }
  | Fault

type Success = Exclude<Reply, Fault>

const messageOf = (reply: Success, request: RecordedRequest, n: number) => ({
  id: `msg_${n}`,
  type: "message",
  role: "assistant",
  model: request.body?.model ?? "unknown",
  content: [
    ...(reply.thinkingTokens ? [{ type: "thinking", thinking: "Let me think.", signature: "sig" }] : []),
    { type: "text", text: reply.text }
  ],
  stop_reason: reply.stopReason ?? "end_turn",
  stop_sequence: null,
  usage: reply.noUsage === true ? {} : {
    input_tokens: reply.inputTokens ?? 100,
    output_tokens: reply.outputTokens ?? 10,
    cache_creation_input_tokens: reply.cacheWrite ?? 0,
    cache_read_input_tokens: reply.cacheRead ?? 0,
    ...(reply.thinkingTokens ? { output_tokens_details: { thinking_tokens: reply.thinkingTokens } } : {})
  }
})

/** One request of a Message Batch as the server received it. */
export interface BatchedRequest {
  readonly batch: string
  readonly custom_id: string
  /** The request's params: what POST /v1/messages would have had as its body. */
  readonly body: any
}

/** The server's Message Batches: what they held, and a switch that keeps them processing. */
export interface FakeBatches {
  /** Every request of every batch created, in order. */
  readonly requests: Array<BatchedRequest>
  /** Ids of the batches created, in order. */
  readonly created: Array<string>
  /** While true, every batch stays "in_progress" however often it is polled. */
  hold: boolean
  /** How long the answer to a batch's creation takes (the batch exists from the moment it is asked for). */
  createDelayMs: number
  /** An HTTP status every look at a batch (retrieve, results) answers with instead, while set. */
  pollStatus?: number | undefined
  /** While set, a batch created is canceled (as in the Console) after this many of its requests were processed. */
  cancelAfter?: number | undefined
  /** How many times the list of batches was asked for. */
  lists: number
  /** An HTTP status every create call answers with instead (no batch made), while set. */
  createStatus?: number | undefined
}

export interface FakeAnthropic extends FakeServer {
  readonly batches: FakeBatches
}

const errorTypeOf = (status: number) =>
  status === 429 ? "rate_limit_error" : status === 529 ? "overloaded_error" : status === 401 ? "authentication_error" : status >= 500 ? "api_error" : "invalid_request_error"

/**
 * The Message Batches endpoints (create, retrieve, results as JSONL, list) on the scripted server: each
 * request of a batch is answered by the script as it would be at /v1/messages (a fault becomes an
 * "errored" result, a hang an "expired" one); a batch has ended from the second time it is polled
 * (or, while `hold`, never).
 */
const batchRoutes = (script: (request: RecordedRequest, n: number) => Reply, batches: FakeBatches) => {
  const held = new Map<string, { lines: Array<string>; counts: Record<string, number>; polls: number; created: string; canceled: boolean }>()
  let answered = 0
  const json = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) })
  const view = (id: string, host: string) => {
    const b = held.get(id)!
    const ended = !batches.hold && b.polls >= 2
    return {
      id,
      type: "message_batch",
      processing_status: ended ? "ended" : "in_progress",
      request_counts: ended ? { ...b.counts, processing: 0 } : { processing: b.lines.length, succeeded: 0, errored: 0, expired: 0, canceled: 0 },
      created_at: b.created,
      expires_at: b.created,
      ended_at: ended ? new Date().toISOString() : null,
      archived_at: null,
      cancel_initiated_at: b.canceled ? b.created : null,
      results_url: ended ? `http://${host}/v1/messages/batches/${id}/results` : null
    }
  }
  return (request: RecordedRequest) => {
    const host = String(request.headers.host)
    const [path] = request.path.split("?")
    if (path === "/v1/messages/batches" && request.method === "POST" && batches.createStatus !== undefined)
      return json(batches.createStatus, { type: "error", error: { type: errorTypeOf(batches.createStatus), message: `scripted ${batches.createStatus}` } })
    if (path === "/v1/messages/batches" && request.method === "POST") {
      const id = `msgbatch_${batches.created.length + 1}`
      batches.created.push(id)
      const counts = { processing: 0, succeeded: 0, errored: 0, expired: 0, canceled: 0 }
      const cancelAfter = batches.cancelAfter
      const lines = (request.body.requests as Array<{ custom_id: string; params: any }>).map(({ custom_id, params }, i) => {
        batches.requests.push({ batch: id, custom_id, body: params })
        if (cancelAfter !== undefined && i >= cancelAfter) {
          counts.canceled++
          return JSON.stringify({ custom_id, result: { type: "canceled" } })
        }
        const inner: RecordedRequest = { method: "POST", path: "/v1/messages", headers: request.headers, body: params, at: Date.now() }
        const n = answered++
        const reply = script(inner, n)
        const result =
          "hang" in reply
            ? { type: "expired" }
            : "status" in reply
              ? { type: "errored", error: { type: "error", error: { type: errorTypeOf(reply.status), message: `scripted ${reply.status}` }, request_id: null } }
              : { type: "succeeded", message: messageOf(reply, inner, n) }
        counts[result.type as keyof typeof counts]++
        return JSON.stringify({ custom_id, result })
      })
      held.set(id, { lines, counts, polls: 0, created: new Date().toISOString(), canceled: cancelAfter !== undefined })
      return { ...json(200, view(id, host)), delayMs: batches.createDelayMs }
    }
    // The list: newest first, `limit` a page, the next page after `after_id`.
    if (path === "/v1/messages/batches" && request.method === "GET") {
      batches.lists++
      const query = new URLSearchParams(request.path.split("?")[1] ?? "")
      const all = [...held.keys()].reverse()
      const after = query.get("after_id")
      const from = after === null ? 0 : all.indexOf(after) + 1
      const page = all.slice(from, from + Number(query.get("limit") ?? 20))
      return json(200, { data: page.map((id) => view(id, host)), has_more: from + page.length < all.length, first_id: page[0] ?? null, last_id: page.at(-1) ?? null })
    }
    const one = /^\/v1\/messages\/batches\/([^/]+)(\/results)?$/.exec(path ?? "")
    if (one === null) return undefined
    const b = held.get(one[1]!)
    if (b === undefined) return json(404, { type: "error", error: { type: "not_found_error", message: `no batch ${one[1]}` } })
    if (batches.pollStatus !== undefined) return json(batches.pollStatus, { type: "error", error: { type: errorTypeOf(batches.pollStatus), message: `scripted ${batches.pollStatus}` } })
    if (one[2] !== undefined) return { status: 200, body: b.lines.join("\n") + "\n", contentType: "application/binary" }
    b.polls++
    return json(200, view(one[1]!, host))
  }
}

/** The framing the fake's token counting endpoint adds to a request's count. */
export const FAKE_FRAMING = 5

/** What the fake's token counting endpoint counts a message text as, framing aside: a token per 4 characters, rounded up. */
export const fakeTextTokens = (text: string) => Math.ceil(text.length / 4)

/** Whether a recorded request went to the token counting endpoint. */
export const isCountRequest = (request: RecordedRequest) => request.path.endsWith("/v1/messages/count_tokens")

/** What the token counting endpoint answers: a count, or a fault. */
export type CountReply = { readonly tokens: number; readonly delayMs?: number } | Fault

/** The fake's own count of a count_tokens request: the framing plus every message's text. */
export const fakeCount = (request: RecordedRequest): CountReply => ({
  tokens: FAKE_FRAMING + (request.body?.messages ?? []).reduce((n: number, m: any) => n + fakeTextTokens(typeof m.content === "string" ? m.content : ""), 0)
})

/**
 * A loopback server that speaks the Anthropic Messages wire format, answering each request with
 * what `script` returns for it (the request and its 0-based number); its Message Batches endpoints
 * answer each request of a batch with the same script, and its token counting endpoint each
 * request with what `count` returns (by default fakeCount).
 */
export const startFakeAnthropic = async (
  script: (request: RecordedRequest, n: number) => Reply,
  count: (request: RecordedRequest) => CountReply = fakeCount
): Promise<FakeAnthropic> => {
  const batches: FakeBatches = { requests: [], created: [], hold: false, createDelayMs: 0, lists: 0 }
  type Answer = Success | { readonly tokens: number; readonly delayMs?: number }
  const format: WireFormat<Answer> = {
    requestIdHeader: "request-id",
    basePath: "",
    errorBody: (status) => ({ type: "error", error: { type: "api_error", message: `scripted ${status}` } }),
    success: (reply, request, n) => ("tokens" in reply ? { input_tokens: reply.tokens } : messageOf(reply, request, n)),
    route: batchRoutes(script, batches)
  }
  const server = await startScriptedServer<Answer>(format, (request, n) => (isCountRequest(request) ? count(request) : script(request, n)))
  return { ...server, batches }
}

/** The user turn of a recorded request, whatever layout sent it. */
export const lastUserText = (request: RecordedRequest): string => {
  const messages = request.body?.messages ?? []
  const last = [...messages].reverse().find((m: any) => m.role === "user")
  if (!last) return ""
  return typeof last.content === "string" ? last.content : last.content.map((b: any) => b.text ?? "").join("")
}
