import { Effect, Ref } from "effect"
import { costUsd, roundUsd, type Price } from "../domain/Cost.js"
import { runKey, specKey } from "./Plan.js"
import type { Admit } from "./AllRuns.js"
import type { Listener } from "./Events.js"

export interface Budget {
  /** Whether a run may start: asked by runAll before each. */
  readonly admit: Admit
  /** Counts the money as replies land and runs end (a listener of the loop's events). */
  readonly listener: Listener
  /** How many runs were not started because the budget was spent. */
  readonly notStarted: Effect.Effect<number>
  /** Adds what earlier sessions spent on the runs a resume keeps: the cap is the whole benchmark's, not this process's. */
  readonly spentBefore: (usd: number) => Effect.Effect<void>
}

/**
 * --max-cost: every attempt's cost is added as its reply lands; once the total reaches `maxUsd`
 * no new run starts (runs already under way finish).
 *
 * runAll keeps more runs going than there are model slots (so that programs and requests
 * overlap), and a run it took waits for a slot before its first request: judged as it was taken,
 * such a run would spend after the money ran out. So a run is taken only while fewer than
 * `concurrency` (the model slots) wait for their first reply, and the budget is judged then.
 */
export const makeBudget = (maxUsd: number, concurrency: number, priceOf: (modelId: string) => Price | undefined) =>
  Effect.gen(function* () {
    const notStarted = yield* Ref.make(0)
    /** Dollars spent so far, at list prices. */
    const spent = yield* Ref.make(0)
    const starting = yield* Effect.makeSemaphore(Math.max(1, concurrency))
    /** Runs taken that have had no reply yet, by run key. */
    const waiting = new Set<string>()
    /** The model's price of each run under way, by run key. */
    const prices = new Map<string, Price | undefined>()
    /** Attempts whose cost was counted as their reply landed, by run key and attempt. */
    const counted = new Set<string>()
    const add = (usd: number | null | undefined) => Ref.update(spent, (total) => total + (usd ?? 0))
    /** The run has its first reply, or has ended without one: another may start. */
    const started = (key: string) =>
      Effect.suspend(() => {
        if (!waiting.has(key)) return Effect.void
        waiting.delete(key)
        return starting.release(1)
      })
    const budget: Budget = {
      notStarted: Ref.get(notStarted),
      spentBefore: (usd) => add(usd),
      admit: (spec) =>
        Effect.gen(function* () {
          yield* starting.take(1)
          if ((yield* Ref.get(spent)) >= maxUsd) {
            yield* starting.release(1)
            yield* Ref.update(notStarted, (n) => n + 1)
            return false
          }
          waiting.add(specKey(spec))
          prices.set(specKey(spec), priceOf(spec.model.id))
          return true
        }),
      listener: (event) =>
        Effect.suspend(() => {
          switch (event._tag) {
            case "ReplyLanded": {
              const key = runKey(event.reply)
              const price = prices.get(key)
              counted.add(`${key}\u0000${event.reply.attempt}`)
              return add(price === undefined ? 0 : roundUsd(costUsd(event.reply.reply.usage, price))).pipe(Effect.zipRight(started(key)))
            }
            // A reply replayed from a checkpoint landed in an earlier session: its attempt counts here.
            case "AttemptFinished": {
              const key = specKey(event.spec)
              return (counted.delete(`${key}\u0000${event.attempt.attempt}`) ? Effect.void : add(event.attempt.cost_usd)).pipe(
                Effect.zipRight(started(key))
              )
            }
            case "RunFinished":
              prices.delete(specKey(event.spec))
              return started(specKey(event.spec))
            case "RunStarted":
            case "WaveProgress":
              return Effect.void
          }
        })
    }
    return budget
  })
