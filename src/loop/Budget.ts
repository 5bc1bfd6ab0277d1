import { Effect, Ref } from "effect"
import type { BatchHooks } from "./Batch.js"

export interface Budget {
  readonly hooks: BatchHooks
  /** Dollars spent so far, at list prices. */
  readonly spent: Effect.Effect<number>
  /** How many runs were not started because the budget was spent. */
  readonly notStarted: Effect.Effect<number>
}

/**
 * --max-cost: every attempt's cost is added as it lands; once the total reaches `maxUsd` no new
 * run starts (runs already under way finish). Other hooks run as before.
 */
export const withBudget = (hooks: BatchHooks, maxUsd: number | undefined) =>
  Effect.gen(function* () {
    const spent = yield* Ref.make(0)
    const notStarted = yield* Ref.make(0)
    const budget: Budget = {
      spent: Ref.get(spent),
      notStarted: Ref.get(notStarted),
      hooks: {
        ...hooks,
        admit: (spec) =>
          Effect.gen(function* () {
            if (maxUsd !== undefined && (yield* Ref.get(spent)) >= maxUsd) {
              yield* Ref.update(notStarted, (n) => n + 1)
              return false
            }
            return hooks.admit ? yield* hooks.admit(spec) : true
          }),
        onAttempt: (spec, attempt) =>
          Ref.update(spent, (usd) => usd + (attempt.cost_usd ?? 0)).pipe(
            Effect.zipRight(hooks.onAttempt ? hooks.onAttempt(spec, attempt) : Effect.void)
          )
      }
    }
    return budget
  })
