import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { pulled } from "../src/loop/AllRuns.js"
import type { RunSpec } from "../src/loop/Plan.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void
/** The heap in use after a full collection. */
const live = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

describe("the runs of a long benchmark", () => {
  it("hold nothing per finished run: the live heap after 90,000 runs is what it was after 10,000", async () => {
    const n = 100_000
    const runs = Array.from({ length: n }, (_, index) => ({ index }) as unknown as RunSpec)
    const heap: Array<number> = []
    await Effect.runPromise(
      pulled(runs, (spec) => Effect.sync(() => (spec.index === 10_000 || spec.index === n - 1 ? heap.push(live()) : undefined)), 8)
    )
    // Effect.forEach (with discard) kept each run's exit until the last ended: about 130 bytes a run, 10 MB here.
    expect(heap[1]! - heap[0]!).toBeLessThan(2 * 1024 * 1024)
  })

  it("start in the plan's order, at most `concurrency` at a time, and stop at the first failure", async () => {
    const runs = Array.from({ length: 20 }, (_, index) => ({ index }) as unknown as RunSpec)
    const started: Array<number> = []
    let running = 0
    let most = 0
    const exit = await Effect.runPromiseExit(
      pulled(
        runs,
        (spec) =>
          Effect.gen(function* () {
            started.push(spec.index)
            most = Math.max(most, ++running)
            yield* Effect.sleep(1)
            running--
            if (spec.index === 9) return yield* Effect.fail("stop")
          }),
        3
      )
    )
    expect(exit._tag).toBe("Failure")
    expect(most).toBe(3)
    expect(started.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(started.length).toBeLessThan(14)
  })
})
