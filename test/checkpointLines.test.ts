import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger } from "effect"
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { wholeLines } from "../src/domain/text.js"
import { Checkpoint, fileLines, layer as CheckpointLive } from "../src/services/Checkpoint.js"
import { renderHtml } from "../src/report/Html.js"
import { mergeSources, readCheckpointSource } from "../src/report/Sweep.js"
import { renderSweepMarkdown } from "../src/report/SweepMarkdown.js"
import { header, replyLine, result } from "./support/fixtures.js"
import { NodeContext } from "./support/layers.js"
import { liveBytes } from "./support/heap.js"

// Signing keys go to a state directory of the test's own.
process.env.XDG_STATE_HOME = mkdtempSync(join(tmpdir(), "ilo-bench-state-"))

const live = Layer.provideMerge(CheckpointLive, NodeContext.layer)
const quiet = Logger.replace(Logger.defaultLogger, Logger.none)
const tempFile = () => join(mkdtempSync(join(tmpdir(), "ilo-bench-lines-")), "closed-loop-2026-11-25.jsonl")

/** Every line of a file read through fileLines, and how the file ended. */
const readLines = (file: string, chunk: number) => {
  const fd = openSync(file, "r")
  try {
    const read = fileLines(fd, chunk)
    const lines = [...read.lines]
    return { lines, ...read.end() }
  } finally {
    closeSync(fd)
  }
}

describe("a checkpoint read line by line", () => {
  it("gives the lines the whole text gives, each with its place in bytes, whatever the chunk size, and says a torn last line", () => {
    const file = tempFile()
    const long = "x".repeat(50)
    const text = `{"a":"é→😀"}\n\n${long}\nß\n{"torn`
    writeFileSync(file, text)
    const whole = wholeLines(text)
    const bytes = readFileSync(file)
    for (const chunk of [1, 3, 7, 64, 1 << 20]) {
      const read = readLines(file, chunk)
      expect(read.lines.map((l) => l.text)).toEqual(whole.lines)
      expect(read.tornLine).toBe(whole.tornLine)
      expect(read.validBytes).toBe(whole.validBytes)
      for (const l of read.lines) expect(bytes.toString("utf8", l.at!.offset, l.at!.offset + l.at!.length)).toBe(l.text + "\n")
    }
    writeFileSync(file, "a\nb\n")
    expect(readLines(file, 2)).toMatchObject({ tornLine: null, validBytes: 4 })
  })

  it.scoped("a report of a signed checkpoint read line by line, its runs held in columns, is the report of it read whole: re-run runs, refused and torn lines alike", () =>
    Effect.gen(function* () {
      const file = tempFile()
      writeFileSync(file, "")
      const writer = yield* (yield* Checkpoint).begin(file, header())
      for (let i = 0; i < 40; i++) {
        yield* writer.append(replyLine(`t${i}`, 1))
        yield* writer.append({ type: "run", result: result(`t${i}`, i % 5 === 0 ? "failed" : i % 13 === 0 ? "error" : "working") })
      }
      yield* writer.append({ type: "resume", at: "2026-11-25T11:00:00.000Z", forced: [], retry_errors: true })
      // Run again on resume: the later line is the run.
      yield* writer.append({ type: "run", result: result("t5", "working") })
      yield* writer.append({ type: "run", result: result("t10", "partial") })
      yield* Effect.scoped(Effect.void)
      // A line a program appended (not signed in the chain), and a line cut short by a crash.
      appendFileSync(file, JSON.stringify({ type: "run", result: result("t7", "working") }) + "\n" + '{"type":"run","res')
      const rendered = (source: Parameters<typeof mergeSources>[0][number]) =>
        Effect.map(renderHtml(mergeSources([source])), (html) => ({
          md: renderSweepMarkdown(mergeSources([source])),
          html: [...html].join(""),
          source: JSON.stringify(source)
        }))
      // Every run held whole (as a small checkpoint's are), against runs held in columns past a few bytes or none.
      const whole = yield* readCheckpointSource(file, Number.POSITIVE_INFINITY).pipe(Effect.provide(quiet))
      expect(whole.warnings?.join("\n")).toContain("line 85")
      expect(whole.results.map((r) => `${r.task} ${r.final_outcome}`).filter((r) => /^t(5|7|10) /.test(r))).toEqual(["t5 working", "t7 working", "t10 partial"])
      const expected = yield* rendered(whole)
      for (const keepBytes of [0, 2000, undefined]) {
        const byLine = yield* readCheckpointSource(file, keepBytes).pipe(Effect.provide(quiet))
        expect(byLine.results).toHaveLength(40)
        expect(yield* rendered(byLine)).toEqual(expected)
      }
    }).pipe(Effect.provide(live)))

  it("refuses a line that is not a record, a missing file, a directory", () =>
    Effect.gen(function* () {
      const file = tempFile()
      writeFileSync(file, JSON.stringify(header()) + "\n" + "not json\n")
      const byLine = yield* Effect.flip(readCheckpointSource(file))
      expect(byLine.reason).toMatch(/^line 2 is not a checkpoint record \(not JSON/)
      expect((yield* Effect.flip(readCheckpointSource(`${file}.gone`))).reason).toBe("not found")
      expect((yield* Effect.flip(readCheckpointSource(tmpdir()))).reason).toBe("is a directory, not a file")
    }).pipe(Effect.runPromise))

  it.effect("holds a few hundred bytes a run of a checkpoint of 5,000 runs, where the whole reading held every row", () =>
    Effect.gen(function* () {
      const file = tempFile()
      const n = 5_000
      const template = result("t", "working")
      const lines = [JSON.stringify(header())]
      for (let i = 0; i < n; i++)
        lines.push(JSON.stringify(replyLine(`task-${i}`, 1)), JSON.stringify({ type: "run", result: { ...template, task: `task-${i}`, wall_time_s: i / 7, input_tokens: 100 + i } }))
      writeFileSync(file, lines.join("\n") + "\n")
      lines.length = 0
      // Past a window of run lines held whole (8 MB: a fixed cost), which this test sets to none.
      const first = yield* readCheckpointSource(file, 0).pipe(Effect.provide(quiet))
      const before = liveBytes()
      const source = yield* readCheckpointSource(file, 0).pipe(Effect.provide(quiet))
      const perRun = (liveBytes() - before) / n
      expect(source.results).toHaveLength(n)
      expect(first.results[1_234]!.task).toBe("task-1234")
      expect(source.results[4_999]!.wall_time_s).toBe(4_999 / 7)
      // Every row decoded and held (as the whole reading does) is over 1,000 bytes a run.
      expect(perRun).toBeLessThan(400)

    }))
})
