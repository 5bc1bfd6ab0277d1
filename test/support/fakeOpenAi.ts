import { startScriptedServer, type Fault, type FakeServer, type RecordedRequest, type WireFormat } from "./scriptedServer.js"

/** What the scripted server answers to one request. */
export type OpenAiReply =
  | {
      readonly text: string
      readonly promptTokens?: number
      readonly completionTokens?: number
      readonly cachedTokens?: number
      readonly reasoningTokens?: number
      readonly finishReason?: string
      readonly delayMs?: number
      /** Sent as the usage object instead of the one made from the counts above (another provider's shape). */
      readonly usage?: Record<string, unknown>
    }
  | Fault

type Success = Exclude<OpenAiReply, Fault>

const completionOf = (reply: Success, request: RecordedRequest, n: number) => {
  const prompt = reply.promptTokens ?? 100
  const completion = reply.completionTokens ?? 10
  return {
    id: `chatcmpl-${n}`,
    object: "chat.completion",
    created: 1_700_000_000,
    model: request.body?.model ?? "unknown",
    choices: [{ index: 0, message: { role: "assistant", content: reply.text }, finish_reason: reply.finishReason ?? "stop", logprobs: null }],
    usage: reply.usage ?? {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: reply.cachedTokens ?? 0 },
      completion_tokens_details: { reasoning_tokens: reply.reasoningTokens ?? 0 }
    }
  }
}

/** One request of a batch as the server received it: its custom_id and the chat completions body. */
export interface OpenAiBatched {
  readonly batch: string
  readonly custom_id: string
  readonly body: any
}

export interface FakeOpenAi extends FakeServer {
  readonly batches: {
    readonly requests: Array<OpenAiBatched>
    readonly created: Array<string>
    /** How long the answer to a batch's creation takes (the batch exists from the moment it is asked for). */
    createDelayMs: number
    /** How many times the list of batches was asked for. */
    lists: number
  }
}

/** The file part of a multipart upload. */
const uploadedFile = (raw: string): string => {
  const part = raw.split(/--[^\r\n]+\r\n/).find((p) => /name="file"/.test(p)) ?? ""
  const start = part.indexOf("\r\n\r\n")
  return part.slice(start + 4).replace(/\r\n--[^\r\n]*--\r\n?$/, "").replace(/\r\n$/, "")
}

/**
 * OpenAI's Batch API on the scripted server: POST /v1/files (a JSONL upload), POST /v1/batches,
 * GET /v1/batches/:id (completed from the second poll), GET /v1/batches (the list) and GET /v1/files/:id/content. Each request
 * of a batch is answered by the script as at /v1/chat/completions; a fault goes to the error file.
 */
const batchRoutes = (script: (request: RecordedRequest, n: number) => OpenAiReply, batches: FakeOpenAi["batches"]) => {
  const files = new Map<string, string>()
  const held = new Map<string, { output: string; errors: string; total: number; failed: number; polls: number; created: number; metadata: unknown }>()
  let answered = 0
  const json = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) })
  const view = (id: string) => {
    const b = held.get(id)!
    const done = b.polls >= 2
    return {
      id,
      object: "batch",
      endpoint: "/v1/chat/completions",
      input_file_id: "file-in",
      completion_window: "24h",
      status: done ? "completed" : "in_progress",
      created_at: b.created,
      output_file_id: done ? `${id}-output` : null,
      error_file_id: done && b.failed > 0 ? `${id}-errors` : null,
      request_counts: done ? { total: b.total, completed: b.total - b.failed, failed: b.failed } : { total: b.total, completed: 0, failed: 0 },
      metadata: b.metadata
    }
  }
  return (request: RecordedRequest) => {
    const [path] = request.path.split("?")
    if (request.method === "POST" && path === "/v1/files") {
      const id = `file-${files.size + 1}`
      files.set(id, uploadedFile(String(request.body)))
      return json(200, { id, object: "file", bytes: 0, created_at: 1_700_000_000, filename: "requests.jsonl", purpose: "batch" })
    }
    if (request.method === "POST" && path === "/v1/batches") {
      const id = `batch_${batches.created.length + 1}`
      batches.created.push(id)
      const lines = (files.get(request.body.input_file_id) ?? "").split("\n").filter((l) => l.trim() !== "")
      const output: Array<string> = []
      const errors: Array<string> = []
      for (const line of lines) {
        const { custom_id, body } = JSON.parse(line)
        batches.requests.push({ batch: id, custom_id, body })
        const inner: RecordedRequest = { method: "POST", path: "/v1/chat/completions", headers: request.headers, body, at: Date.now() }
        const n = answered++
        const reply = script(inner, n)
        if ("hang" in reply) errors.push(JSON.stringify({ id: `r${n}`, custom_id, response: null, error: { code: "batch_expired", message: "expired" } }))
        else if ("status" in reply)
          errors.push(JSON.stringify({ id: `r${n}`, custom_id, response: { status_code: reply.status, request_id: `req_${n}`, body: reply.body ?? { error: { message: `scripted ${reply.status}` } } }, error: null }))
        else output.push(JSON.stringify({ id: `r${n}`, custom_id, response: { status_code: 200, request_id: `req_${n}`, body: completionOf(reply, inner, n) }, error: null }))
      }
      held.set(id, { output: output.join("\n"), errors: errors.join("\n"), total: lines.length, failed: errors.length, polls: 0, created: Math.floor(Date.now() / 1000), metadata: request.body.metadata ?? null })
      return { ...json(200, view(id)), delayMs: batches.createDelayMs }
    }
    // The list: newest first, `limit` a page, the next page after `after`.
    if (request.method === "GET" && path === "/v1/batches") {
      batches.lists++
      const query = new URLSearchParams(request.path.split("?")[1] ?? "")
      const all = [...held.keys()].reverse()
      const after = query.get("after")
      const from = after === null ? 0 : all.indexOf(after) + 1
      const page = all.slice(from, from + Number(query.get("limit") ?? 20))
      return json(200, { object: "list", data: page.map(view), has_more: from + page.length < all.length, first_id: page[0] ?? null, last_id: page.at(-1) ?? null })
    }
    const batch = /^\/v1\/batches\/([^/]+)$/.exec(path ?? "")
    if (request.method === "GET" && batch !== null && held.has(batch[1]!)) {
      held.get(batch[1]!)!.polls++
      return json(200, view(batch[1]!))
    }
    const content = /^\/v1\/files\/(.+)-(output|errors)\/content$/.exec(path ?? "")
    if (request.method === "GET" && content !== null && held.has(content[1]!)) {
      const b = held.get(content[1]!)!
      return { status: 200, body: (content[2] === "output" ? b.output : b.errors) + "\n", contentType: "application/octet-stream" }
    }
    return undefined
  }
}

/**
 * A loopback server that speaks the OpenAI chat completions wire format (as OpenAI, Ollama, vLLM
 * and llama-server do), answering each request with what `script` returns for it; with
 * `{ batches: true }` it has OpenAI's Batch API too, answering each batched request the same way.
 */
export const startFakeOpenAi = async (
  script: (request: RecordedRequest, n: number) => OpenAiReply,
  options: { readonly batches?: boolean } = {}
): Promise<FakeOpenAi> => {
  const batches: FakeOpenAi["batches"] = { requests: [], created: [], createDelayMs: 0, lists: 0 }
  const format: WireFormat<Success> = {
    requestIdHeader: "x-request-id",
    basePath: "/v1",
    errorBody: (status) => ({ error: { message: `scripted ${status}`, type: "server_error", code: null } }),
    success: completionOf,
    ...(options.batches === true ? { route: batchRoutes(script, batches) } : {})
  }
  const server = await startScriptedServer<Success>(format, script)
  return { ...server, batches }
}
