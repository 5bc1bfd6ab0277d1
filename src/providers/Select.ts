import { FileSystem } from "@effect/platform"
import { Config, Duration, Effect, Layer, Option, Redacted } from "effect"
import { InvalidFlag, MissingApiKey } from "../domain/errors.js"
import type { Llm } from "../services/Llm.js"
import type { TokenCounter } from "../services/TokenCounter.js"
import * as Anthropic from "./Anthropic.js"
import { createCassette, readCassette, reopenCassette, type CassetteOptions } from "./Cassette.js"
import { anthropicBatches } from "./AnthropicBatch.js"
import * as Batch from "./Batch.js"
import type { Waves } from "../services/Waves.js"
import * as OpenAi from "./OpenAi.js"
import { openAiBatches } from "./OpenAiBatch.js"
import { isLocalUrl } from "./OpenAi.js"

export type ProviderName = "anthropic" | "openai"

/** The flags that choose and shape the Llm service. */
export interface ProviderFlags {
  readonly provider: ProviderName
  readonly model: string
  readonly baseUrl: Option.Option<string>
  readonly maxTokens: number
  readonly temperature: Option.Option<number>
  readonly thinkingBudget: Option.Option<number>
  readonly record: Option.Option<string>
  readonly replay: Option.Option<string>
  readonly replayFallthrough: boolean
  /** A resume: the recording it started goes on in the same cassette. */
  readonly resume: Option.Option<string>
  /** --batch: live requests go in Message Batches, polled every `batchPoll` seconds. */
  readonly batch: boolean
  readonly batchPoll: number
  /** --count-tokens anthropic: Anthropic's token counting endpoint, with the same key, address and cassette. */
  readonly countTokens: Option.Option<"anthropic">
  /** Seconds before a request is given up (a count's too). */
  readonly requestTimeout: number
}

/**
 * Where the benchmark's model answers from: the live provider, a cassette over it (recording, or a
 * replay that falls through), or a cassette alone (a pure replay: no provider, no key). The
 * composition root (session/Bench.ts) puts the pieces together; with --batch the live provider
 * needs the Waves it watches, which the root provides (one for the provider, the loop and the session).
 */
export type LlmSource =
  | { readonly _tag: "Live"; readonly live: Layer.Layer<Llm, never, Waves> }
  | { readonly _tag: "Recorded"; readonly live: Layer.Layer<Llm, never, Waves>; readonly cassette: CassetteOptions }
  | { readonly _tag: "Replayed"; readonly cassette: CassetteOptions }

/** Where --count-tokens anthropic counts from: the same three shapes as the model's source, the same cassette. */
export type CounterSource =
  | { readonly _tag: "Live"; readonly live: Layer.Layer<TokenCounter> }
  | { readonly _tag: "Recorded"; readonly live: Layer.Layer<TokenCounter>; readonly cassette: CassetteOptions }
  | { readonly _tag: "Replayed"; readonly cassette: CassetteOptions }

const invalid = (flag: string, reason: string) => Effect.fail(new InvalidFlag({ flag, reason }))

const optionalEnv = (name: string) =>
  Config.string(name).pipe(Config.option, Effect.orElseSucceed(() => Option.none<string>()))

const requiredKey = (variable: string) =>
  Config.redacted(variable).pipe(
    Effect.filterOrFail((key) => Redacted.value(key).trim() !== ""),
    Effect.mapError(() => new MissingApiKey({ variable })),
    Effect.tap((key) => sendableKey(variable, Redacted.value(key)))
  )

/**
 * A key is sent in an HTTP header, which carries printable ASCII: one with a character pasted along
 * with it (a zero-width space from a web page, a non-breaking space) made every request fail as a
 * "connection" error, retried with back-off, on every run. Refused at the start, naming the
 * character's code and place, never the key.
 */
export const sendableKey = (variable: string, key: string) => {
  const trimmed = key.trim()
  const at = [...trimmed].findIndex((c) => !/^[\x21-\x7e]$/.test(c))
  if (at === -1) return Effect.void
  const code = trimmed.codePointAt([...trimmed].slice(0, at).join("").length)!
  return invalid(
    variable,
    `has a character an HTTP header cannot carry (U+${code.toString(16).toUpperCase().padStart(4, "0")}, character ${at + 1} of ${[...trimmed].length}); was something pasted along with the key?`
  )
}

/**
 * The model source the flags ask for: the live provider (Anthropic, or chat completions at
 * --base-url / OPENAI_BASE_URL), under a cassette when recording or replaying. A pure replay
 * has no live provider and needs no key. Keys are read from the environment only, never stored.
 * The cassette files are opened (or created) here, so a bad one is refused before anything starts.
 */
export const selectLlm = (f: ProviderFlags) =>
  Effect.gen(function* () {
    const needsLive = Option.isNone(f.replay) || f.replayFallthrough
    const envBase = yield* optionalEnv(f.provider === "anthropic" ? "ANTHROPIC_BASE_URL" : "OPENAI_BASE_URL")
    const baseUrl = Option.getOrUndefined(Option.orElse(f.baseUrl, () => envBase))
    // The flag's value is checked with the other flags (RunFlags); the variable's, here.
    if (Option.isNone(f.baseUrl) && baseUrl !== undefined && !URL.canParse(baseUrl)) yield* invalid("--base-url", `not a URL: ${baseUrl}`)

    let live: Layer.Layer<Llm, never, Waves> | undefined
    // --batch: the live provider sends waves of batches; it needs the Waves the composition root provides.
    const batched = (api: Effect.Effect<Batch.BatchApi>) => Batch.layer(api, { poll: Duration.seconds(f.batchPoll) })
    let liveCounter: Layer.Layer<TokenCounter> | undefined
    if (needsLive) {
      if (f.provider === "anthropic") {
        const apiKey = Redacted.value(yield* requiredKey("ANTHROPIC_API_KEY"))
        live = f.batch ? batched(anthropicBatches({ apiKey, baseUrl })) : Anthropic.layer({ apiKey, baseUrl })
        if (Option.isSome(f.countTokens)) liveCounter = Anthropic.counterLayer({ apiKey, baseUrl, timeout: Duration.seconds(f.requestTimeout) })
      } else {
        // A local server (Ollama, vLLM, llama-server) needs no key; OpenAI itself does.
        const apiKey =
          baseUrl !== undefined && isLocalUrl(baseUrl)
            ? yield* Effect.tap(Effect.map(optionalEnv("OPENAI_API_KEY"), Option.getOrUndefined), (key) => (key === undefined || key.trim() === "" ? Effect.void : sendableKey("OPENAI_API_KEY", key)))
            : Redacted.value(yield* requiredKey("OPENAI_API_KEY"))
        live = f.batch ? batched(openAiBatches({ apiKey, baseUrl })) : OpenAi.layer({ apiKey, baseUrl })
      }
    }

    const record = Option.getOrUndefined(f.record)
    const recordTo = record ?? (f.replayFallthrough ? Option.getOrUndefined(f.replay) : undefined)
    // A cassette appended to loses a torn last line first; one only replayed is only read.
    const replay = Option.isSome(f.replay)
      ? yield* (f.replay.value === recordTo ? reopenCassette : readCassette)(f.replay.value)
      : undefined
    if (record !== undefined && record !== replay?.path) {
      // A resume goes on recording into the cassette its benchmark began.
      const resuming = Option.isSome(f.resume) && (yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.exists(record)).pipe(Effect.orElseSucceed(() => false)))
      yield* resuming ? reopenCassette(record) : createCassette(record)
    }

    const cassette: CassetteOptions = { provider: f.provider, replay, recordTo }
    const source: LlmSource =
      live === undefined
        ? { _tag: "Replayed", cassette }
        : replay === undefined && recordTo === undefined
          ? { _tag: "Live", live }
          : { _tag: "Recorded", live, cassette }
    const counter: CounterSource | undefined = Option.isNone(f.countTokens)
      ? undefined
      : liveCounter === undefined
        ? { _tag: "Replayed", cassette }
        : source._tag === "Live"
          ? { _tag: "Live", live: liveCounter }
          : { _tag: "Recorded", live: liveCounter, cassette }
    return { source, counter, baseUrl: baseUrl ?? null }
  })
