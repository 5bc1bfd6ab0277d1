import { startScriptedServer, type Fault, type FakeServer, type RecordedRequest } from "./scriptedServer.js"

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
    }
  | Fault

/**
 * A loopback server that speaks the Anthropic Messages wire format, answering each request with
 * what `script` returns for it (the request and its 0-based number).
 */
export const startFakeAnthropic = (script: (request: RecordedRequest, n: number) => Reply): Promise<FakeServer> =>
  startScriptedServer<Exclude<Reply, Fault>>(
    {
      requestIdHeader: "request-id",
      basePath: "",
      errorBody: (status) => ({ type: "error", error: { type: "api_error", message: `scripted ${status}` } }),
      success: (reply, request, n) => ({
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
        usage: {
          input_tokens: reply.inputTokens ?? 100,
          output_tokens: reply.outputTokens ?? 10,
          cache_creation_input_tokens: reply.cacheWrite ?? 0,
          cache_read_input_tokens: reply.cacheRead ?? 0,
          ...(reply.thinkingTokens ? { output_tokens_details: { thinking_tokens: reply.thinkingTokens } } : {})
        }
      })
    },
    script
  )

/** The user turn of a recorded request, whatever layout sent it. */
export const lastUserText = (request: RecordedRequest): string => {
  const messages = request.body?.messages ?? []
  const last = [...messages].reverse().find((m: any) => m.role === "user")
  if (!last) return ""
  return typeof last.content === "string" ? last.content : last.content.map((b: any) => b.text ?? "").join("")
}
