import { Effect, Exit, Option } from "effect"
import type { RunResult } from "../domain/Result.js"
import { runClosedLoop, type Journal, type LoopSettings } from "./ClosedLoop.js"
import { publish } from "./Events.js"
import type { RunSpec } from "./Plan.js"
import type { Llm, LlmStop } from "../services/Llm.js"
import type { HarnessFailing, ProgramRunner } from "../services/ProgramRunner.js"
import type { SkillDocs } from "../services/SkillDocs.js"
import { Waves } from "../services/Waves.js"

export interface AllRunsJournal<E = never> extends Journal<E> {
  /** Each run as it finishes, before it is announced. A failure here (the checkpoint cannot be written) stops them all. */
  readonly onRun?: ((spec: RunSpec, result: RunResult) => Effect.Effect<void, E>) | undefined
}

/** Asked before a run starts; false leaves it out of the results (--max-cost). */
export type Admit = (spec: RunSpec) => Effect.Effect<boolean>

/**
 * Every run of the plan, at most `concurrency` at a time, each announced as it starts and
 * finishes. A run never fails (errors become its outcome), so one run cannot cancel the others;
 * results come back in the plan's order, without the runs `admit` turned away.
 */
export const runAll = <E = never>(
  runs: ReadonlyArray<RunSpec>,
  settings: LoopSettings,
  concurrency: number,
  journal: AllRunsJournal<E> = {},
  admit?: Admit | undefined,
  /** keepResults false: each result goes to the journal's `onRun` and the events only, and none is returned (a long benchmark keeps them on disk). */
  { keepResults = true }: { readonly keepResults?: boolean } = {}
) => {
  const one = (spec: RunSpec) =>
    publish({ _tag: "RunStarted", spec }).pipe(
      Effect.zipRight(runClosedLoop(spec, settings, journal)),
      // A run that finished is recorded and announced whole, even if the interrupt comes meanwhile.
      Effect.tap((result) =>
        Effect.uninterruptible(
          Effect.zipRight(journal.onRun ? journal.onRun(spec, result) : Effect.void, publish({ _tag: "RunFinished", spec, result }))
        )
      )
    )
  const admitted = (spec: RunSpec) =>
    admit === undefined ? one(spec) : Effect.flatMap(admit(spec), (ok) => (ok ? one(spec) : Effect.succeed(undefined)))
  const all = (each: (spec: RunSpec) => Effect.Effect<RunResult | undefined, E | HarnessFailing | LlmStop, Llm | ProgramRunner | SkillDocs>) =>
    keepResults ? Effect.forEach(runs, each, { concurrency }) : Effect.as(pulled(runs, each, concurrency), [])
  return Effect.serviceOption(Waves).pipe(
    Effect.flatMap((waves) =>
      Option.isNone(waves)
        ? all(admitted)
        : // --batch: every run counts as open from the start (none may miss the first wave) until it ends.
          // Only a run that finished ends: one interrupted (Ctrl-C) or failing (which stops them all)
          // counted as ended could make a wave due on the way out, and that wave would be paid for.
          Effect.zipRight(waves.value.expect(runs.length), all((spec) => Effect.onExit(admitted(spec), (exit) => (Exit.isSuccess(exit) ? waves.value.ended : Effect.void))))
    ),
    Effect.map((results) => results.filter((r): r is RunResult => r !== undefined)),
    Effect.withSpan("AllRuns.run")
  )
}

/**
 * Every run through `concurrency` workers that each take the next run of the plan when their last
 * one ends, so that nothing is held per run: Effect.forEach, even with `discard`, keeps every
 * element's exit until the last one ends (about 130 bytes a run, 13 MB at 100,000 runs). The runs
 * start in the plan's order; a failure interrupts the other workers, as forEach's does.
 */
export const pulled = <A, E, R>(runs: ReadonlyArray<RunSpec>, each: (spec: RunSpec) => Effect.Effect<A, E, R>, concurrency: number) => {
  let next = 0
  const worker = Effect.whileLoop({ while: () => next < runs.length, body: () => each(runs[next++]!), step: () => {} })
  return Effect.all(Array.from({ length: Math.min(concurrency, runs.length) }, () => worker), { concurrency: "unbounded", discard: true })
}
