import { Context, Effect, Layer } from "effect"
import type { LlmError } from "./Llm.js"
import { RateGate } from "./RateGate.js"

/**
 * A model provider's own token counter (Anthropic's token counting endpoint): the input tokens of
 * a request to `model` whose only content is one user message holding `text`. That count includes
 * the request's fixed framing; ProgramTokens takes it away. Layers: the live endpoint (providers/
 * Anthropic.ts), the cassette around it, and the rate gate in front of it.
 */
export class TokenCounter extends Context.Tag("ilo-bench/TokenCounter")<
  TokenCounter,
  {
    /** The name its counts go under in `program_tokens` and the census. */
    readonly tokenizer: "anthropic"
    readonly count: (model: string, text: string) => Effect.Effect<number, LlmError>
  }
>() {}

/** The counter it is given, behind the rate gate: its requests wait their turn with the model's, and a 429 slows both. */
export const gatedLayer = Layer.effect(
  TokenCounter,
  Effect.gen(function* () {
    const inner = yield* TokenCounter
    const gate = yield* RateGate
    return TokenCounter.of({ ...inner, count: (model, text) => gate.call(inner.count(model, text)) })
  })
)
