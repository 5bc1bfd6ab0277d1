import { Effect, Fiber } from "effect"
import type { Model } from "../config/Model.js"
import { docKey } from "../report/Census.js"
import type { ProgramTokens } from "../services/ProgramTokens.js"
import { countTokens, type TokenCounts } from "../services/Tokenizers.js"

/**
 * The tokens of each language's documentation, for the census's spec tax (the documentation goes
 * with every attempt): under the offline tokenizers, and with --count-tokens under the provider's
 * endpoint too, each text once per model, asked at once (their fibers are forked here).
 */
export const make = (
  docTexts: ReadonlyArray<readonly [language: string, text: string]>,
  models: ReadonlyArray<Pick<Model, "id" | "key">>,
  endpoint: ProgramTokens["Type"] | undefined
) =>
  Effect.gen(function* () {
    const endpointDocs =
      endpoint === undefined
        ? []
        : yield* Effect.forEach(docTexts, ([language, text]) =>
            Effect.forEach(models, (model) => Effect.map(Effect.fork(endpoint.count(model.id, text)), (fiber) => [docKey(language, model.key), fiber] as const))
          ).pipe(Effect.map((pairs) => pairs.flat()))
    let offline: ReadonlyMap<string, TokenCounts> | undefined
    /** Counted once; the first count loads the tokenizers' vocabularies (a second or so of CPU). */
    const countOffline = () => (offline ??= new Map(docTexts.map(([name, text]) => [name, countTokens(text)])))
    const all = Effect.gen(function* () {
      const tokens = countOffline()
      if (endpoint === undefined) return tokens
      const both = new Map<string, TokenCounts>()
      for (const [key, fiber] of endpointDocs) {
        const language = key.split("\n")[0]!
        both.set(key, { ...tokens.get(language), [endpoint.tokenizer]: yield* Fiber.join(fiber) })
      }
      return both
    })
    return {
      /** The offline counts now, loading the vocabularies: where the session chooses to pay for that. */
      countOffline: () => void countOffline(),
      /** Every count, the endpoint's awaited, by docKey(language, model) with an endpoint, else by language; made once, when first asked for. */
      tokens: yield* Effect.cached(all)
    } as const
  })
