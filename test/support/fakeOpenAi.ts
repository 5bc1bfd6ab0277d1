import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { FakeServer, RecordedRequest } from "./fakeAnthropic.js"

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
    }
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string>; readonly delayMs?: number }
  | { readonly hang: true }

/**
 * A loopback server that speaks the OpenAI chat completions wire format (as OpenAI, Ollama, vLLM
 * and llama-server do), answering each request with what `script` returns for it.
 */
export const startFakeOpenAi = async (script: (request: RecordedRequest, n: number) => OpenAiReply): Promise<FakeServer> => {
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
          res.writeHead(reply.status, { "content-type": "application/json", "x-request-id": `req_${n}`, ...reply.headers })
          res.end(JSON.stringify(reply.body ?? { error: { message: `scripted ${reply.status}`, type: "server_error", code: null } }))
          return
        }
        const prompt = reply.promptTokens ?? 100
        const completion = reply.completionTokens ?? 10
        res.writeHead(200, { "content-type": "application/json", "x-request-id": `req_${n}` })
        res.end(
          JSON.stringify({
            id: `chatcmpl-${n}`,
            object: "chat.completion",
            created: 1_700_000_000,
            model: recorded.body?.model ?? "unknown",
            choices: [
              { index: 0, message: { role: "assistant", content: reply.text }, finish_reason: reply.finishReason ?? "stop", logprobs: null }
            ],
            usage: {
              prompt_tokens: prompt,
              completion_tokens: completion,
              total_tokens: prompt + completion,
              prompt_tokens_details: { cached_tokens: reply.cachedTokens ?? 0 },
              completion_tokens_details: { reasoning_tokens: reply.reasoningTokens ?? 0 }
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
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy()
        server.close(() => resolve())
      })
  }
}
