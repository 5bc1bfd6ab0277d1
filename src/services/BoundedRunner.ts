import { Effect } from "effect"
import { ProgramRunner } from "./ProgramRunner.js"

/**
 * The same runner, with at most `slots` generated programs running at once: a program run takes a
 * core while a model call only waits on the network, so the two are bounded apart.
 */
export const boundedRunner = (runner: ProgramRunner["Type"], slots: number) =>
  Effect.map(Effect.makeSemaphore(Math.max(1, Math.floor(slots))), (bound) =>
    ProgramRunner.make({
      exec: runner.exec,
      release: runner.release,
      run: (program, timeout) => bound.withPermits(1)(runner.run(program, timeout))
    })
  )
