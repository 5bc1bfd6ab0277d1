import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

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
    }
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string>; readonly delayMs?: number }
  | { readonly hang: true }

export interface RecordedRequest {
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: any
  /** Date.now() when the request had arrived in full. */
  readonly at: number
}

export interface FakeServer {
  readonly url: string
  readonly requests: Array<RecordedRequest>
  close(): Promise<void>
}

/**
 * A loopback server that speaks the Anthropic Messages wire format, answering each request with
 * what `script` returns for it (the request and its 0-based number).
 */
export const startFakeAnthropic = async (
  script: (request: RecordedRequest, n: number) => Reply
): Promise<FakeServer> => {
  const requests: Array<RecordedRequest> = []
  const open = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    let raw = ""
    req.on("data", (chunk) => (raw += chunk))
    req.on("end", () => {
      const recorded: RecordedRequest = { path: req.url ?? "", headers: req.headers, body: raw ? JSON.parse(raw) : null, at: Date.now() }
      const n = requests.length
      requests.push(recorded)
      const reply = script(recorded, n)
      open.add(res)
      res.on("close", () => open.delete(res))
      if ("hang" in reply) return
      const send = () => {
        if ("status" in reply) {
          res.writeHead(reply.status, { "content-type": "application/json", "request-id": `req_${n}`, ...reply.headers })
          res.end(JSON.stringify(reply.body ?? { type: "error", error: { type: "api_error", message: `scripted ${reply.status}` } }))
          return
        }
        res.writeHead(200, { "content-type": "application/json", "request-id": `req_${n}` })
        res.end(
          JSON.stringify({
            id: `msg_${n}`,
            type: "message",
            role: "assistant",
            model: recorded.body?.model ?? "unknown",
            content: [
              ...(reply.thinkingTokens ? [{ type: "thinking", thinking: "Let me think.", signature: "sig" }] : []),
              { type: "text", text: reply.text }
            ],
            stop_reason: reply.stopReason ?? "end_turn",
            stop_sequence: null,
            usage: {
              input_tokens: reply.inputTokens ?? 100,
              output_tokens: reply.outputTokens ?? 10,
              cache_creation_input_tokens: reply.cacheWrite ?? 0,
              cache_read_input_tokens: reply.cacheRead ?? 0,
              ...(reply.thinkingTokens ? { output_tokens_details: { thinking_tokens: reply.thinkingTokens } } : {})
            }
          })
        )
      }
      if (reply.delayMs) setTimeout(send, reply.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy()
        server.close(() => resolve())
      })
  }
}

/** The user turn of a recorded request, whatever layout sent it. */
export const lastUserText = (request: RecordedRequest): string => {
  const messages = request.body?.messages ?? []
  const last = [...messages].reverse().find((m: any) => m.role === "user")
  if (!last) return ""
  return typeof last.content === "string" ? last.content : last.content.map((b: any) => b.text ?? "").join("")
}
