import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { summarise } from "../src/loop/ClosedLoop.js"
import { benchProgress, progressMode, type ProgressIo } from "../src/report/LiveProgress.js"
import { spec } from "./support/layers.js"
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
      expect(text).toContain(" [1/2] attempt=1 outcome=working gen_tok=20 rc=0\n")
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

  it.effect("--quiet: nothing on stderr", () =>
    Effect.gen(function* () {
      const { writes } = yield* drive("quiet")
      expect(writes).toEqual([])
    }))
})
