import { Effect } from "effect"
import type { RunResult } from "../domain/Result.js"
import { runClosedLoop, type LoopHooks, type LoopSettings } from "./ClosedLoop.js"
import type { RunSpec } from "./Plan.js"

export interface BatchHooks<E = never> extends LoopHooks<E> {
  /** Asked before a run starts; false leaves it out of the results (for example --max-cost). */
  readonly admit?: ((spec: RunSpec) => Effect.Effect<boolean>) | undefined
  readonly onStart?: ((spec: RunSpec) => Effect.Effect<void>) | undefined
  /** Called as each run finishes, in the order they finish. A failure here (say, the checkpoint cannot be written) stops the batch. */
  readonly onRun?: ((spec: RunSpec, result: RunResult) => Effect.Effect<void, E>) | undefined
}

/**
 * Every run of the plan, at most `concurrency` at a time. A run never fails (errors become its
 * outcome), so one run cannot cancel the others; results come back in the plan's order, without
 * the runs `admit` turned away.
 */
export const runBatch = <E = never>(
  runs: ReadonlyArray<RunSpec>,
  settings: LoopSettings,
  concurrency: number,
  hooks: BatchHooks<E> = {},
  /** keepResults false: each result goes to `onRun` only and none is returned (a long benchmark keeps them on disk). */
  { keepResults = true }: { readonly keepResults?: boolean } = {}
) => {
  const one = (spec: RunSpec) =>
    (hooks.onStart ? hooks.onStart(spec) : Effect.void).pipe(
      Effect.zipRight(runClosedLoop(spec, settings, hooks)),
      Effect.tap((result) => (hooks.onRun ? hooks.onRun(spec, result) : Effect.void))
    )
  const admit = hooks.admit
  const each = (spec: RunSpec) =>
    admit === undefined ? one(spec) : Effect.flatMap(admit(spec), (ok) => (ok ? one(spec) : Effect.succeed(undefined)))
  return (
    keepResults
      ? Effect.forEach(runs, each, { concurrency })
      : // Void per run: Effect.forEach keeps the exit of every element until the last one ends, even with discard.
        Effect.as(Effect.forEach(runs, (spec) => Effect.asVoid(each(spec)), { concurrency, discard: true }), [])
  ).pipe(
    Effect.map((results) => results.filter((r): r is RunResult => r !== undefined)),
    Effect.withSpan("Batch.run")
  )
}
