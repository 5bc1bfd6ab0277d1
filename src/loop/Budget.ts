import { Effect, Ref } from "effect"
import type { BatchHooks } from "./Batch.js"
import { specKey } from "./Resume.js"

export interface Budget {
  readonly hooks: BatchHooks
  /** How many runs were not started because the budget was spent. */
  readonly notStarted: Effect.Effect<number>
}

/**
 * --max-cost: every attempt's cost is added as it lands; once the total reaches `maxUsd` no new
 * run starts (runs already under way finish). Other hooks run as before.
 *
 * The batch keeps more runs going than there are model slots (so that programs and requests
 * overlap), and a run it took waits for a slot before its first request: judged as it was taken,
 * such a run would spend after the money ran out. So a run is taken only while fewer than
 * `concurrency` (the model slots) have yet to finish their first attempt (whose cost is then
 * counted), and the budget is judged then.
 */
export const withBudget = (hooks: BatchHooks, maxUsd: number | undefined, concurrency: number) =>
  Effect.gen(function* () {
    const notStarted = yield* Ref.make(0)
    if (maxUsd === undefined) return { notStarted: Ref.get(notStarted), hooks } satisfies Budget
    /** Dollars spent so far, at list prices. */
    const spent = yield* Ref.make(0)
    const starting = yield* Effect.makeSemaphore(Math.max(1, concurrency))
    /** Runs holding a place among those starting, by run key. */
    const holding = new Set<string>()
    const started = (key: string) => Effect.suspend(() => (holding.delete(key) ? starting.release(1) : Effect.void))
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
            holding.add(specKey(spec))
            return true
          }),
        // The first attempt, with its cost counted; or the end of a run that got no reply.
        onAttempt: (spec, attempt) =>
          Ref.update(spent, (usd) => usd + (attempt.cost_usd ?? 0)).pipe(
            Effect.zipRight(started(specKey(spec))),
            Effect.zipRight(hooks.onAttempt ? hooks.onAttempt(spec, attempt) : Effect.void)
          ),
        onRun: (spec, result) => started(specKey(spec)).pipe(Effect.zipRight(hooks.onRun ? hooks.onRun(spec, result) : Effect.void))
      }
    }
    return budget
  })
