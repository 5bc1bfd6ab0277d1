import { startScriptedServer, type Fault, type FakeServer, type RecordedRequest } from "./scriptedServer.js"

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

/**
 * A loopback server that speaks the OpenAI chat completions wire format (as OpenAI, Ollama, vLLM
 * and llama-server do), answering each request with what `script` returns for it.
 */
export const startFakeOpenAi = (script: (request: RecordedRequest, n: number) => OpenAiReply): Promise<FakeServer> =>
  startScriptedServer<Exclude<OpenAiReply, Fault>>(
    {
      requestIdHeader: "x-request-id",
      basePath: "/v1",
      errorBody: (status) => ({ error: { message: `scripted ${status}`, type: "server_error", code: null } }),
      success: (reply, request, n) => {
        const prompt = reply.promptTokens ?? 100
        const completion = reply.completionTokens ?? 10
        return {
          id: `chatcmpl-${n}`,
          object: "chat.completion",
          created: 1_700_000_000,
          model: request.body?.model ?? "unknown",
          choices: [
            { index: 0, message: { role: "assistant", content: reply.text }, finish_reason: reply.finishReason ?? "stop", logprobs: null }
          ],
          usage: reply.usage ?? {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            prompt_tokens_details: { cached_tokens: reply.cachedTokens ?? 0 },
            completion_tokens_details: { reasoning_tokens: reply.reasoningTokens ?? 0 }
          }
        }
      }
    },
    script
  )
