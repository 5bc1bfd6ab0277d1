import { Effect, Ref } from "effect"
import { costUsd, roundUsd, type Price } from "../domain/Cost.js"
import type { RunResult } from "../domain/Result.js"
import { runKey, specKey } from "./Plan.js"
import type { Admit } from "./AllRuns.js"
import type { Listener } from "./Events.js"

export interface Budget {
  /** Whether a run may start: asked by runAll before each. */
  readonly admit: Admit
  /** Counts the money as replies land and runs end (a listener of the loop's events). */
  readonly listener: Listener
  /** How many runs were not started because the budget was spent (or its spend became unknown). */
  readonly notStarted: Effect.Effect<number>
  /** Whether a reply of a priced model came without token counts: from then on the spend is unknown and no run starts. */
  readonly costUnknown: Effect.Effect<boolean>
  /**
   * Adds what earlier sessions spent on the runs a resume keeps: the cap is the whole benchmark's,
   * not this process's. A kept run of a priced model whose cost is unknown makes the spend unknown.
   */
  readonly spentBefore: (kept: Iterable<Pick<RunResult, "cost_usd" | "model_id">>) => Effect.Effect<void>
}

/** The report's note on the runs --max-cost kept from starting, and why. */
export const budgetNote = (maxUsd: number | null, notStarted: number, planned: number, costUnknown: boolean) =>
  costUnknown
    ? `--max-cost ${maxUsd} USD could not be kept: a reply came without token counts, so what the benchmark has spent is unknown, and no run started after it: ${notStarted} of ${planned} planned run(s) were not started.`
    : `--max-cost ${maxUsd} USD was reached: ${notStarted} of ${planned} planned run(s) were not started.`

/**
 * --max-cost: every attempt's cost is added as its reply lands; once the total reaches `maxUsd`
 * no new run starts (runs already under way finish).
 *
 * runAll keeps more runs going than there are model slots (so that programs and requests
 * overlap), and a run it took waits for a slot before its first request: judged as it was taken,
 * such a run would spend after the money ran out. So a run is taken only while fewer than
 * `concurrency` (the model slots) wait for their first reply, and the budget is judged then.
 *
 * A reply without token counts (a proxy that strips them) costs an unknown amount: counted as $0
 * the cap would no longer bound anything, so once one lands no new run starts.
 */
export const makeBudget = (maxUsd: number, concurrency: number, priceOf: (modelId: string) => Price | undefined) =>
  Effect.gen(function* () {
    const notStarted = yield* Ref.make(0)
    /** Dollars spent so far, at list prices. */
    const spent = yield* Ref.make(0)
    let unknown = false
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
      costUnknown: Effect.sync(() => unknown),
      spentBefore: (kept) =>
        Effect.suspend(() => {
          let usd = 0
          for (const r of kept) {
            usd += r.cost_usd ?? 0
            if (r.cost_usd === null && priceOf(r.model_id) !== undefined) unknown = true
          }
          return add(usd)
        }),
      admit: (spec) =>
        Effect.gen(function* () {
          yield* starting.take(1)
          if (unknown || (yield* Ref.get(spent)) >= maxUsd) {
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
              if (price !== undefined && event.reply.reply.usage.unreported === true) unknown = true
              return add(price === undefined ? 0 : roundUsd(costUsd(event.reply.reply.usage, price))).pipe(Effect.zipRight(started(key)))
            }
            // A reply replayed from a checkpoint landed in an earlier session: its attempt counts here.
            case "AttemptFinished": {
              const key = specKey(event.spec)
              if (prices.get(key) !== undefined && event.attempt.cost_usd === null && !counted.has(`${key}\u0000${event.attempt.attempt}`)) unknown = true
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
