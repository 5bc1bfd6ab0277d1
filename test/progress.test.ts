import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { summarise } from "../src/loop/ClosedLoop.js"
import { benchProgress, progressMode, type ProgressIo } from "../src/report/LiveProgress.js"
import { runLine, summaryTable } from "../src/report/Summary.js"
import { python, spec, task } from "./support/layers.js"
import { attempt } from "./support/resultFixtures.js"

/** A fake stderr and clock: what was written, and time that moves only when told. */
const fakeIo = (columns?: number) => {
  const writes: Array<string> = []
  let now = 1_000
  const io: ProgressIo = { write: (t) => void writes.push(t), columns: () => columns, now: () => now }
  return { io, writes, advance: (ms: number) => (now += ms) }
}

const runOf = (index: number, outcome: "working" | "failed") => {
  const s = spec({ index })
  const a = attempt(1, outcome, "x", outcome === "working" ? null : "boom", 20)
  return { s, a, result: summarise(s, { provider: "test" }, [a], outcome, null, 0, 2000) }
}

/** Drives two runs through the events, 10 s apart. */
const drive = (mode: "live" | "lines" | "quiet", columns?: number) =>
  Effect.gen(function* () {
    const f = fakeIo(columns)
    const progress = benchProgress(2, mode, f.io)
    const one = runOf(0, "working")
    const two = runOf(1, "failed")
    yield* progress.track(
      Effect.gen(function* () {
        yield* progress.listener({ _tag: "RunStarted", spec: one.s })
        yield* progress.listener({ _tag: "AttemptFinished", spec: one.s, attempt: one.a })
        f.advance(10_000)
        yield* progress.listener({ _tag: "RunFinished", spec: one.s, result: one.result })
        yield* progress.listener({ _tag: "RunStarted", spec: two.s })
        yield* progress.listener({ _tag: "AttemptFinished", spec: two.s, attempt: two.a })
        f.advance(10_000)
        yield* progress.listener({ _tag: "RunFinished", spec: two.s, result: two.result })
      })
    )
    return { writes: f.writes, text: f.writes.join(""), status: progress.status() }
  })

describe("progress on stderr", () => {
  it("the mode follows --quiet and whether stderr is a terminal", () => {
    expect(progressMode(false, true)).toBe("live")
    expect(progressMode(false, false)).toBe("lines")
    expect(progressMode(true, true)).toBe("quiet")
  })

  it.effect("not a terminal: one plain line per finished run with counts, tokens, elapsed and ETA; no escape codes", () =>
    Effect.gen(function* () {
      const { writes, text } = yield* drive("lines")
      expect(writes).toHaveLength(2)
      expect(writes[0]).toBe(
        "[1/2] task=t1 lang=python model=haiku -> working (1 att, 520 tok) | 1 working · 0 partial · 0 failed · 0 error | 520 tok | 10s elapsed, ETA 10s\n"
      )
      expect(writes[1]).toContain("[2/2] task=t1 lang=python model=haiku -> failed (1 att, 520 tok) | 1 working · 0 partial · 1 failed · 0 error | 1,040 tok | 20s elapsed, ETA 0s")
      expect(text).not.toContain("\x1b")
    }))

  it.effect("a terminal: the status line is redrawn in place, attempt lines scroll above it, and it is cleared at the end", () =>
    Effect.gen(function* () {
      const { writes, text, status } = yield* drive("live")
      expect(status).toBe("[2/2] 1 working · 0 partial · 1 failed · 0 error · 1,040 tok · 20s elapsed · ETA 0s")
      expect(text).toContain("\r\x1b[2K[1/2] 1 working · 0 partial · 0 failed · 0 error · 520 tok · 10s elapsed · ETA 10s")
      expect(text).toContain("[1/2] task=t1 lang=python model=haiku\n")
      expect(text).toContain(" [1/2] attempt=1 outcome=working gen_tok=20 rc=0 task=t1 lang=python model=haiku\n")
      expect(writes.at(-1)).toBe("\r\x1b[2K")
    }))

  it.effect("a narrow terminal gets a line cut to its width", () =>
    Effect.gen(function* () {
      const { writes } = yield* drive("live", 40)
      const drawn = writes.filter((w) => w.startsWith("\r\x1b[2K[")).map((w) => w.slice(5))
      expect(drawn.length).toBeGreaterThan(0)
      for (const line of drawn) expect(line.length).toBeLessThan(40)
    }))

  it.effect("a resumed benchmark's kept runs count their tokens too (they come in finished, with no attempt hook)", () =>
    Effect.gen(function* () {
      const f = fakeIo()
      const progress = benchProgress(2, "lines", f.io)
      const kept = runOf(0, "working")
      yield* progress.kept(kept.s, kept.result)
      expect(progress.status()).toContain("1 working · 0 partial · 0 failed · 0 error · 520 tok")
    }))

  it.effect("kept runs say nothing on stderr, not even the API warning they gave when they ran, and do not speed up the ETA", () =>
    Effect.gen(function* () {
      const f = fakeIo()
      const progress = benchProgress(4, "lines", f.io)
      const failure = { attempt: 1, kind: "server", status: 500, request_id: null, message: "overloaded" }
      const error = runOf(0, "failed")
      yield* progress.kept(error.s, { ...error.result, final_outcome: "error", api_error: failure })
      const ok = runOf(1, "working")
      yield* progress.kept(ok.s, ok.result)
      expect(f.writes).toEqual([])
      // One run of this session in 10 s, one left: 10 s (paced over the kept runs too, it would say 3 s).
      const now = runOf(2, "working")
      yield* progress.listener({ _tag: "RunStarted", spec: now.s })
      f.advance(10_000)
      yield* progress.listener({ _tag: "RunFinished", spec: now.s, result: now.result })
      expect(f.writes).toHaveLength(1)
      expect(f.writes[0]).toMatch(/^\[3\/4\] .* 1 error \| .* 10s elapsed, ETA 10s\n$/)
    }))

  it.effect("the spend so far says n/a once a run has no price, not the priced runs' sum as if it were all", () =>
    Effect.gen(function* () {
      const f = fakeIo()
      const progress = benchProgress(3, "lines", f.io)
      const priced = runOf(0, "working")
      yield* progress.kept(priced.s, { ...priced.result, cost_usd: 0.01 })
      expect(progress.status()).toContain("520 tok · $0.0100 ·")
      const unpriced = runOf(1, "working")
      yield* progress.kept(unpriced.s, { ...unpriced.result, cost_usd: null })
      expect(progress.status()).toContain("1,040 tok · $0.0100 + n/a ·")
    }))

  it.effect("--quiet: nothing on stderr", () =>
    Effect.gen(function* () {
      const { writes } = yield* drive("quiet")
      expect(writes).toEqual([])
    }))

  it.effect("two trials of the same run: banners, attempt lines and finished lines each name their run and trial", () =>
    Effect.gen(function* () {
      const one = runOf(0, "working")
      const two = { ...runOf(1, "failed"), s: spec({ index: 1, trial: 2 }) }
      const drive2 = (mode: "live" | "lines") =>
        Effect.gen(function* () {
          const f = fakeIo()
          const progress = benchProgress(2, mode, f.io, 2)
          // Side by side: the second trial starts before the first one's attempt is in.
          yield* progress.listener({ _tag: "RunStarted", spec: one.s })
          yield* progress.listener({ _tag: "RunStarted", spec: two.s })
          yield* progress.listener({ _tag: "AttemptFinished", spec: two.s, attempt: two.a })
          yield* progress.listener({ _tag: "AttemptFinished", spec: one.s, attempt: one.a })
          yield* progress.listener({ _tag: "RunFinished", spec: one.s, result: one.result })
          yield* progress.listener({ _tag: "RunFinished", spec: two.s, result: { ...two.result, trial: 2 } })
          return f.writes.join("").split(/\r\x1b\[2K|\n/).filter((l) => l !== "" && !l.includes("elapsed · ETA"))
        })
      expect(yield* drive2("live")).toEqual([
        "[1/2] task=t1 lang=python model=haiku trial=1",
        "[2/2] task=t1 lang=python model=haiku trial=2",
        " [2/2] attempt=1 outcome=failed gen_tok=20 rc=1 task=t1 lang=python model=haiku trial=2",
        " [1/2] attempt=1 outcome=working gen_tok=20 rc=0 task=t1 lang=python model=haiku trial=1"
      ])
      const lines = yield* drive2("lines")
      expect(lines[0]).toMatch(/^\[1\/2\] task=t1 lang=python model=haiku trial=1 -> working /)
      expect(lines[1]).toMatch(/^\[2\/2\] task=t1 lang=python model=haiku trial=2 -> failed /)
    }))
})

describe("the seed's stdout lines", () => {
  it("a run's line keeps the seed's fields first and names its run after them; its trial with --trials", () => {
    const { result } = runOf(0, "working")
    const seedPart = "  -> outcome=working gen_tokens=20 wall=2.0s"
    expect(runLine(result)).toBe(`${seedPart} task=t1 lang=python model=haiku`)
    expect(runLine({ ...result, trial: 2 }, 2)).toBe(`${seedPart} task=t1 lang=python model=haiku trial=2`)
    expect(runLine(result, 2)).not.toBe(runLine({ ...result, trial: 2 }, 2))
  })

  it("the summary table's columns widen to a long task id and `javascript`, and stay lined up", () => {
    const short = runOf(0, "working").result
    const long = summarise(
      spec({ index: 1, task: task("a-task-id-well-past-twenty-two-chars"), language: { ...python, name: "javascript", extension: ".js" } }),
      { provider: "test" },
      [attempt(1, "failed", "x", "boom", 123456789)],
      "failed",
      null,
      0,
      2000
    )
    const table = summaryTable([short, long], 2).split("\n")
    const header = table.indexOf("Summary:") + 1
    const rows = table.slice(header, header + 4)
    expect(rows[1]).toMatch(/^-+$/)
    const [head, , ...cells] = rows
    // Each column starts where its header does; right-aligned ones end where theirs does.
    const starts = (line: string) => [...line.matchAll(/(?<=^| )\S/g)].map((m) => m.index)
    const ends = (line: string) => [...line.matchAll(/\S(?= |$)/g)].map((m) => m.index)
    const headStarts = starts(head!)
    const headEnds = ends(head!)
    for (const row of cells) {
      const s = starts(row!)
      const e = ends(row!)
      expect(s.length, row).toBe(7)
      for (const col of [0, 1, 2, 5]) expect(s[col], `${row}: column ${col}`).toBe(headStarts[col])
      for (const col of [3, 4, 6]) expect(e[col], `${row}: column ${col}`).toBe(headEnds[col])
    }
    expect(cells[1]).toMatch(/^a-task-id-well-past-twenty-two-chars javascript haiku +\d+ +- failed +\d+\.\ds$/)
    expect(rows[1]!.length).toBeGreaterThanOrEqual(head!.length)
    // Cells that fit the seed's widths print the seed's table.
    expect(summaryTable([short], 1).split("\n").slice(2, 5)).toEqual([
      "task                   lang   model  gen_tok attempts outcome    time",
      "-".repeat(75),
      `t1                     python haiku       20        1 working  ${short.wall_time_s.toFixed(1).padStart(5)}s`
    ])
  })
})
