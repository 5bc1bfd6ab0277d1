import { Context, Effect } from "effect"
import type { CheckpointCount } from "../domain/Checkpoint.js"
import { sha256 } from "../domain/text.js"
import type { TokenCounter } from "./TokenCounter.js"
import { apiRetrySchedule, type RetryPolicy } from "../loop/Policy.js"

/**
 * The text the framing is measured with: one character, which any byte-level BPE vocabulary holds
 * as exactly one token, so the framing is its count less one (see the README's token census).
 */
export const FRAMING_TEXT = "."

/**
 * Tokens of programs and documentation under a provider's token counting endpoint
 * (--count-tokens anthropic): each distinct text counted once per model (by its sha256), its count
 * less the request's fixed framing (measured once per model). A failed count is null ("unknown"),
 * with one warning for the whole benchmark; it never fails a run.
 */
export class ProgramTokens extends Context.Tag("ilo-bench/ProgramTokens")<
  ProgramTokens,
  {
    /** The name the counts go under ("anthropic"). */
    readonly tokenizer: string
    /** The text's tokens for `model` (an API model id), or null where the endpoint could not count it. */
    readonly count: (model: string, text: string) => Effect.Effect<number | null>
    /** How many distinct texts (the framing included) the endpoint could not count so far. */
    readonly failures: Effect.Effect<number>
  }
>() {}

export interface ProgramTokensOptions {
  /** Counts a checkpoint already holds: not asked for again. */
  readonly known?: ReadonlyArray<CheckpointCount> | undefined
  /** Each count the endpoint made, for the checkpoint. */
  readonly journal?: ((line: CheckpointCount) => Effect.Effect<void>) | undefined
  /**
   * The model requests' retry policy (--api-retries): a count that failed for now (429, 529, 5xx,
   * the network) is asked again under it before it is unknown. None: asked once.
   */
  readonly retry?: RetryPolicy | undefined
}

export const make = (counter: Context.Tag.Service<TokenCounter>, options: ProgramTokensOptions = {}) =>
  Effect.gen(function* () {
    // Effects cached on first use: a text asked for twice at once is still counted once.
    const raw = new Map<string, Effect.Effect<number | null>>()
    for (const known of options.known ?? []) raw.set(`${known.model}\n${known.sha256}`, Effect.succeed(known.tokens))
    let failures = 0
    let warned = false
    const journal = options.journal ?? (() => Effect.void)

    /** The endpoint's count of a one-message request holding `text`, framing included. */
    const measured = (model: string, text: string) =>
      Effect.suspend(() => {
        const hash = sha256(text)
        const key = `${model}\n${hash}`
        const cached = raw.get(key)
        if (cached !== undefined) return cached
        // Made and kept in one synchronous step: a second fiber asking meanwhile waits on this count.
        const once = Effect.runSync(
          Effect.cached(
            counter.count(model, text).pipe(
              // One overloaded answer to the framing's count would leave every count of the model unknown.
              (asked) => (options.retry === undefined ? asked : Effect.retry(asked, apiRetrySchedule(options.retry))),
              Effect.tap((tokens) => journal({ type: "count", tokenizer: counter.tokenizer, model, sha256: hash, tokens })),
              Effect.catchAll((error) =>
                Effect.suspend(() => {
                  failures++
                  if (warned) return Effect.succeed(null)
                  warned = true
                  return Effect.as(
                    Effect.logWarning(
                      `--count-tokens ${counter.tokenizer}: the token counting endpoint failed for model ${model} (${error.message}); ` +
                        `the counts it could not make are null ("unknown") in the reports, and the benchmark goes on`
                    ),
                    null
                  )
                })
              )
            )
          )
        )
        raw.set(key, once)
        return once
      })

    const count = (model: string, text: string): Effect.Effect<number | null> =>
      text === ""
        ? Effect.succeed(0)
        : Effect.map(Effect.all([measured(model, text), measured(model, FRAMING_TEXT)]), ([whole, framing]) =>
            whole === null || framing === null ? null : whole - (framing - 1)
          )

    return ProgramTokens.of({ tokenizer: counter.tokenizer, count, failures: Effect.sync(() => failures) })
  })
