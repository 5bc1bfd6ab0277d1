import { Effect } from "effect"
import { ProgramRunner } from "./ProgramRunner.js"
import { makeSlots } from "./Slots.js"

/**
 * The same runner, with at most `slots` generated programs running at once: a program run takes a
 * core while a model call only waits on the network, so the two are bounded apart.
 */
export const boundedRunner = (runner: ProgramRunner["Type"], slots: number) =>
  Effect.sync(() => {
    const bound = makeSlots(slots)
    return ProgramRunner.make({
      exec: runner.exec,
      release: runner.release,
      run: (program, timeout) => bound.with(runner.run(program, timeout))
    })
  })
