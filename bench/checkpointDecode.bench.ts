// What decoding a checkpoint's lines through the line schema costs, the line's JSON already parsed:
// Effect's decode with onExcessProperty "preserve" (as reading a checkpoint decoded each line
// before) against decodeKeepingUnknownFields (the same values and messages, as it decodes now).
// Run on a real checkpoint (BENCH_KEEP_OUTPUT keeps the harness's; see bench/README.md):
//   CHECKPOINT=FILE.jsonl npx vitest bench --run bench/checkpointDecode.bench.ts
// Without CHECKPOINT: 2,000 runs of the test fixtures, four lines each as a benchmark writes them.
import { Either, Schema } from "effect"
import { readFileSync } from "node:fs"
import { bench, describe } from "vitest"
import { CheckpointLine } from "../src/domain/Checkpoint.js"
import { decodeKeepingUnknownFields } from "../src/domain/decodeKeeping.js"
import { replyLine, result } from "../test/support/fixtures.js"

const file = process.env.CHECKPOINT
const lines: ReadonlyArray<unknown> =
  file !== undefined
    ? readFileSync(file, "utf8")
        .split("\n")
        .slice(1)
        .filter((line) => line.length > 0)
        // Each line without its signature, as reading a checkpoint decodes it.
        .map((line) => JSON.parse(line.replace(/,"mac":"[0-9a-f]{64}"\}$/, "}")))
    : Array.from({ length: 2000 }, (_, i) => {
        const id = `t${i}`
        const exchange = { task: id, language: "python", model: "haiku", trial: 1, attempt: 1 }
        return [{ type: "asked", ...exchange }, replyLine(id, 1), { type: "ended", ...exchange }, { type: "run", result: result(id) }]
      }).flat()

const decoders = {
  'Schema.decodeUnknownEither(CheckpointLine, { onExcessProperty: "preserve" }) (before)': Schema.decodeUnknownEither(CheckpointLine, {
    onExcessProperty: "preserve"
  }),
  "decodeKeepingUnknownFields(CheckpointLine) (now)": decodeKeepingUnknownFields(CheckpointLine)
}

describe(`decode ${lines.length} checkpoint lines`, () => {
  for (const [name, decode] of Object.entries(decoders))
    bench(
      name,
      () => {
        for (const line of lines) if (Either.isLeft(decode(line))) throw new Error(`a line does not decode: ${JSON.stringify(line).slice(0, 200)}`)
      },
      { iterations: 5, warmupIterations: 1 }
    )
})
