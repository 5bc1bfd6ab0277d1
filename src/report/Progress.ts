import { Console, Effect } from "effect"
import type { Attempt, RunResult } from "../domain/Result.js"
import type { BenchEvent } from "../loop/Events.js"
import type { RunSpec } from "../loop/Plan.js"
import { runBanner, runLine, specIdentity } from "./Summary.js"

/**
 * The seed's stderr line after an attempt, naming its run at the end: runs go side by side, so
 * the banner above it may be another run's.
 */
export const attemptLine = (spec: RunSpec, a: Attempt, total: number, trials = 1) =>
  ` [${spec.index + 1}/${total}] attempt=${a.attempt} outcome=${a.outcome} gen_tok=${a.output_tokens} rc=${a.exit_code ?? "killed"} ${specIdentity(spec, trials)}`

/**
 * The seed's progress: a banner and a line per attempt on stderr, and on stdout one line per
 * run. Runs finish in any order; their stdout lines still come out in the seed's order. Every
 * line names its run; the trial too when `trials` > 1.
 */
export const seedProgress = (total: number, trials = 1) => {
  const finished = new Map<number, string>()
  let next = 0
  /** A run's stdout line, printed once every run planned before it has printed its own. */
  const runFinished = (spec: RunSpec, result: RunResult) =>
    Effect.suspend(() => {
      finished.set(spec.index, runLine(result, trials))
      const ready: Array<string> = []
      for (let line = finished.get(next); line !== undefined; line = finished.get(next)) {
        ready.push(line)
        finished.delete(next++)
      }
      return ready.length > 0 ? Console.log(ready.join("\n")) : Effect.void
    })
  const listener = (event: BenchEvent): Effect.Effect<void> => {
    switch (event._tag) {
      case "RunStarted":
        return Console.error(runBanner(event.spec, total, trials))
      case "AttemptFinished":
        return Console.error(attemptLine(event.spec, event.attempt, total, trials))
      case "RunFinished":
        return runFinished(event.spec, event.result)
      case "ReplyLanded":
      case "WaveProgress":
        return Effect.void
    }
  }
  return { listener, runFinished }
}
