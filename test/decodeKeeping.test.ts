import { describe, expect, it } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import { CheckpointLine } from "../src/domain/Checkpoint.js"
import { decodeKeepingUnknownFields } from "../src/domain/decodeKeeping.js"
import { RunResult } from "../src/domain/Result.js"
import { firstIssue } from "../src/domain/schemaIssue.js"
import { decodeRecorded } from "../src/session/Resume.js"
import { parseCheckpoint } from "../src/services/Checkpoint.js"
import { header, replyLine, result } from "./support/fixtures.js"

const exchange = { task: "t1", language: "python", model: "haiku", trial: 1, attempt: 2 }
const fullAttempt = {
  ...result("t1").attempts[0]!,
  program_tokens: { o200k_base: 12, cl100k_base: null },
  program_source: "tagged-block",
  fenced_blocks: 1,
  dropped: "",
  confirmations: { runs: 3, working: 2 },
  batch_id: "msgbatch_1"
}

/** One line of each kind a checkpoint holds, with its optional fields present, and a run line an older harness wrote. */
const lines: ReadonlyArray<Record<string, unknown>> = [
  { type: "run", result: { ...result("t1"), attempts: [fullAttempt], final_program_tokens: { o200k_base: 12 }, known_issue: "x", batch: true } },
  { type: "run", result: result("t2", "error") },
  (() => {
    // An older harness's run: no elapsed_s, trial, flaky, abandoned_requests nor reasoning_tokens (defaults fill them in).
    const { abandoned_requests: _a, elapsed_s: _e, flaky: _f, reasoning_tokens: _r, trial: _t, ...older } = result("t3")
    const { reasoning_tokens: _ar, ...olderAttempt } = older.attempts[0]!
    return { type: "run", result: { ...older, attempts: [olderAttempt] } }
  })(),
  {
    ...replyLine("t1", 1),
    abandoned_requests: [{ attempt: 1, at: "2026-12-07T00:00:00Z", reason: "timeout", message: "gave up", prompt_chars: 10 }]
  },
  { type: "resume", at: "2026-12-07T00:00:00Z", forced: ["model"], retry_errors: false, planned_runs: 4 },
  { type: "started", ...exchange },
  { type: "ended", ...exchange },
  { type: "asked", ...exchange },
  { type: "errored", ...exchange },
  { type: "batch", id: "msgbatch_1", provider: "anthropic", wave: 1, at: "2026-12-07T00:00:00Z", custom_ids_sha256: "ab" },
  { type: "submitting", provider: "anthropic", wave: 1, at: "2026-12-07T00:00:00Z", custom_ids: ["a", "b"] },
  { type: "refused", provider: "anthropic", wave: 1, at: "2026-12-07T00:00:00Z", custom_ids_sha256: "ab", status: 429, message: "slow down" },
  { type: "count", tokenizer: "anthropic", model: "claude-haiku-4-5", sha256: "ab", tokens: 12 }
]

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
const replacements: ReadonlyArray<Json> = [null, "x", "", -1, 0, 1.5, 1e9, true, {}, [], [1], ["x"], [null], { later: 1 }]

/** Every value with one change at one place: the place removed, given another value, or given a field no schema names. */
function* mutations(value: Json): Generator<Json> {
  if (value === null || typeof value !== "object") {
    for (const other of replacements) if (other !== value) yield other
    return
  }
  if (Array.isArray(value)) {
    const items = value as ReadonlyArray<Json>
    for (let i = 0; i < items.length; i++) {
      for (const changed of mutations(items[i]!)) yield items.map((item, j) => (j === i ? changed : item))
      yield items.filter((_, j) => j !== i)
    }
    yield [...items, items[0] ?? null]
    yield { 0: items[0] ?? null }
    return
  }
  const fields = value as { readonly [key: string]: Json }
  for (const key of Object.keys(fields)) {
    for (const changed of mutations(fields[key]!)) yield { ...fields, [key]: changed }
    const { [key]: _gone, ...without } = fields
    yield without
  }
  // A field a later harness added: first, last, with a nested value.
  yield { later_field: "new", ...fields }
  yield { ...fields, later_field: { nested: [1, { deeper: true }] } }
  yield []
  yield "x"
}

const keeping = decodeKeepingUnknownFields(CheckpointLine)
const reference = Schema.decodeUnknownEither(CheckpointLine, { onExcessProperty: "preserve" })
/** What a reader sees of a decode: the value as JSON (fields in their order) or the one-line message. */
const seen = (decoded: Either.Either<unknown, ParseResult.ParseError>) =>
  Either.isRight(decoded) ? `accepted ${JSON.stringify(decoded.right)}` : `refused ${firstIssue(decoded.left)}`

describe("decoding a checkpoint line faster", () => {
  it("accepts and refuses what the line schema with onExcessProperty preserve does, with the same value, field order and message", () => {
    let accepted = 0
    let refused = 0
    let keptAField = 0
    for (const line of lines) {
      // Each line also under every other line's type: the union must pick the member it picked.
      const retyped = lines.map((other) => ({ ...line, type: other.type }) as Json)
      for (const mutated of [line as Json, ...retyped, ...mutations(line as Json)]) {
        const input = JSON.parse(JSON.stringify(mutated)) as unknown
        const expected = seen(reference(input))
        expect(seen(keeping(input)), JSON.stringify(mutated)).toBe(expected)
        if (expected.startsWith("accepted")) accepted++
        else refused++
        if (expected.includes("later")) keptAField++
      }
    }
    // Both verdicts, and fields no schema names kept, are among the cases compared.
    expect(accepted).toBeGreaterThan(500)
    expect(refused).toBeGreaterThan(1000)
    expect(keptAField).toBeGreaterThan(100)
  })

  it("keeps, in a checkpoint read back, the fields a later ilo-bench added to a run, its attempts and other lines", () => {
    const run = result("t1")
    const later = {
      type: "run",
      result: { ...run, future_score: 0.5, attempts: [{ ...run.attempts[0]!, tool_calls: [{ name: "x" }] }] }
    }
    const text = [header(), later, { ...replyLine("t1", 1), replied_from: "cache" }].map((line) => JSON.stringify(line)).join("\n") + "\n"
    const read = Either.getOrThrow(parseCheckpoint("c.jsonl", text))
    const back = read.runs[0] as unknown as { future_score: number; attempts: Array<{ tool_calls: unknown }> }
    expect(back.future_score).toBe(0.5)
    expect(back.attempts[0]!.tool_calls).toEqual([{ name: "x" }])
    expect((read.replies[0] as unknown as { replied_from: string }).replied_from).toBe("cache")
    // A resume reads a kept run from its line the same way; one that does not decode still throws.
    expect(JSON.stringify(decodeRecorded(later.result))).toBe(JSON.stringify(read.runs[0]))
    const bad = { ...run, attempts_total: -1 }
    const thrown = (decode: (u: unknown) => unknown) => {
      try {
        decode(bad)
      } catch (e) {
        return (e as Error).message
      }
      return "accepted"
    }
    expect(thrown(decodeRecorded)).toContain("attempts_total")
    expect(thrown(decodeRecorded)).toBe(thrown(Schema.decodeUnknownSync(RunResult, { onExcessProperty: "preserve" })))
  })
})
