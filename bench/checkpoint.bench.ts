// What the checkpoint costs a benchmark: one line per model reply and per finished run, each
// written synchronously, the disk synced in the background and on close (a run itself takes
// seconds of model time). Run: npx vitest bench --run bench/checkpoint.bench.ts
import { Effect, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bench, describe } from "vitest"
import { Checkpoint, layer as CheckpointLive, parseCheckpoint, encodeLine } from "../src/services/Checkpoint.js"
import { header, result } from "../test/support/fixtures.js"
import { NodeContext } from "../test/support/layers.js"

const dir = mkdtempSync(join(tmpdir(), "ilo-bench-checkpoint-bench-"))
const line = { type: "run" as const, result: result("t1", "failed") }
const layer = Layer.provideMerge(CheckpointLive, NodeContext.layer)

describe("checkpoint", () => {
  let n = 0
  bench("begin + 40 appends + close (a 40-run benchmark)", async () => {
    const file = join(dir, `c${n++}.jsonl`)
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const checkpoint = yield* Checkpoint
          const writer = yield* checkpoint.begin(file, header())
          for (let i = 0; i < 40; i++) yield* writer.append(line)
        })
      ).pipe(Effect.provide(layer))
    )
  }, { iterations: 20 })

  const text = encodeLine(header()) + encodeLine(line).repeat(1000)
  bench("read back a 1000-run checkpoint", () => {
    parseCheckpoint("c.jsonl", text)
  }, { iterations: 20 })
})
