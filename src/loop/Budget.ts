import { Effect, Ref } from "effect"
import { costUsd, roundUsd, type Price } from "../domain/Cost.js"
import type { BatchHooks } from "./Batch.js"
import { runKey, specKey } from "../session/Resume.js"

export interface Budget {
  readonly hooks: BatchHooks
  /** How many runs were not started because the budget was spent. */
  readonly notStarted: Effect.Effect<number>
}

/**
 * --max-cost: every attempt's cost is added as its reply lands; once the total reaches `maxUsd`
 * no new run starts (runs already under way finish). Other hooks run as before.
 *
 * The batch keeps more runs going than there are model slots (so that programs and requests
 * overlap), and a run it took waits for a slot before its first request: judged as it was taken,
 * such a run would spend after the money ran out. So a run is taken only while fewer than
 * `concurrency` (the model slots) wait for their first reply, and the budget is judged then.
 */
export const withBudget = (
  hooks: BatchHooks,
  maxUsd: number | undefined,
  concurrency: number,
  priceOf: (modelId: string) => Price | undefined
) =>
  Effect.gen(function* () {
    const notStarted = yield* Ref.make(0)
    if (maxUsd === undefined) return { notStarted: Ref.get(notStarted), hooks } satisfies Budget
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
      hooks: {
        ...hooks,
        admit: (spec) =>
          Effect.gen(function* () {
            yield* starting.take(1)
            if ((yield* Ref.get(spent)) >= maxUsd) {
              yield* starting.release(1)
              yield* Ref.update(notStarted, (n) => n + 1)
              return false
            }
            if (hooks.admit && !(yield* hooks.admit(spec))) {
              yield* starting.release(1)
              return false
            }
            waiting.add(specKey(spec))
            prices.set(specKey(spec), priceOf(spec.model.id))
            return true
          }),
        onReply: (reply) =>
          Effect.suspend(() => {
            const key = runKey(reply)
            const price = prices.get(key)
            const cost = price === undefined ? 0 : roundUsd(costUsd(reply.reply.usage, price))
            counted.add(`${key}\u0000${reply.attempt}`)
            return add(cost).pipe(Effect.zipRight(started(key)), Effect.zipRight(hooks.onReply ? hooks.onReply(reply) : Effect.void))
          }),
        // A reply replayed from a checkpoint has no onReply: its attempt counts here.
        onAttempt: (spec, attempt) =>
          Effect.suspend(() =>
            (counted.delete(`${specKey(spec)}\u0000${attempt.attempt}`) ? Effect.void : add(attempt.cost_usd)).pipe(
              Effect.zipRight(started(specKey(spec))),
              Effect.zipRight(hooks.onAttempt ? hooks.onAttempt(spec, attempt) : Effect.void)
            )
          ),
        onRun: (spec, result) =>
          Effect.suspend(() => {
            prices.delete(specKey(spec))
            return started(specKey(spec)).pipe(Effect.zipRight(hooks.onRun ? hooks.onRun(spec, result) : Effect.void))
          })
      }
    }
    return budget
  })
