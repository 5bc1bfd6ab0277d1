import { Console, Effect } from "effect"
import type { Attempt } from "../domain/Result.js"
import type { BatchHooks } from "../loop/Batch.js"
import type { RunSpec } from "../loop/Plan.js"
import { runBanner, runLine } from "./Summary.js"

/** The seed's stderr line after an attempt. */
export const attemptLine = (spec: RunSpec, a: Attempt, total: number) =>
  ` [${spec.index + 1}/${total}] attempt=${a.attempt} outcome=${a.outcome} gen_tok=${a.output_tokens} rc=${a.exit_code ?? "killed"}`

/**
 * The seed's progress: a banner and a line per attempt on stderr, and on stdout one line per
 * run. Runs finish in any order; their stdout lines still come out in the seed's order.
 */
export const seedProgress = (total: number): BatchHooks => {
  const finished = new Map<number, string>()
  let next = 0
  return {
    onStart: (spec) => Console.error(runBanner(spec, total)),
    onAttempt: (spec, a) => Console.error(attemptLine(spec, a, total)),
    onRun: (spec, result) =>
      Effect.suspend(() => {
        finished.set(spec.index, runLine(result))
        const ready: Array<string> = []
        for (let line = finished.get(next); line !== undefined; line = finished.get(next)) {
          ready.push(line)
          finished.delete(next++)
        }
        return ready.length > 0 ? Console.log(ready.join("\n")) : Effect.void
      })
  }
}
