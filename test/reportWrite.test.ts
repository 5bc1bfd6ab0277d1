import { Effect } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { renderJson, type Report } from "../src/report/Json.js"
import { writeAtomically } from "../src/report/Output.js"
import { config, result } from "./support/fixtures.js"
import { NodeContext } from "./support/layers.js"

const report = (results: Report["results"]): Report => ({
  generated: "2026-11-25T10:00:00.000Z",
  harness: "ilo-bench",
  harness_version: "0.1.0",
  complete: results.length > 0,
  planned_runs: results.length,
  config: config(),
  skills: [{ module: "ilo-language", source: "ilo skill get", sha256: "b".repeat(64), bytes: 10 }],
  notes: ["a note with \"quotes\"\nand a newline"],
  results
})

const write = (target: string, text: string | Iterable<string>) =>
  Effect.runPromise(writeAtomically(target, text).pipe(Effect.provide(NodeContext.layer)))

describe("reports written in parts", () => {
  it("the JSON report, result by result, is the text of JSON.stringify(report, null, 2), the seed's floats written as floats", () => {
    const failed = { ...result("t2", "partial"), attempts: result("t2", "partial").attempts.map((a) => ({ ...a, error_detail: "got:\n  été 😀 <x>" })) }
    const whole = { ...result("t4"), wall_time_s: 2, elapsed_s: 3 }
    for (const results of [[], [result("t1")], [result("t1"), failed, result("t3", "error"), whole]]) {
      const text = [...renderJson(report(results))].join("")
      expect(JSON.parse(text)).toEqual(report(results))
      const floats = JSON.stringify(report(results), null, 2).replace(/^( {6}"(?:success_rate|wall_time_s|elapsed_s)": )(-?\d+)(,?)$/gm, "$1$2.0$3")
      expect(text).toBe(floats + "\n")
    }
    expect([...renderJson(report([{ ...result("t4"), wall_time_s: 2 }]))].join("")).toMatch(/"success_rate": 1\.0,\n {6}"wall_time_s": 2\.0,/)
  })

  it("a file written in many parts holds exactly their text, and no temp file is left beside it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ilo-bench-write-"))
    const target = join(dir, "report.html")
    // Several writes' worth, with characters of two, three and four bytes in UTF-8.
    const parts = Array.from({ length: 5000 }, (_, i) => `<p>${i} é — 😀</p>\n`)
    function* generated() {
      yield* parts
    }
    await write(target, generated())
    expect(readFileSync(target, "utf8")).toBe(parts.join(""))
    await write(target, "replaced whole")
    expect(readFileSync(target, "utf8")).toBe("replaced whole")
    expect(readdirSync(dir)).toEqual(["report.html"])
  })

  it("a write that fails (a directory where the report goes) leaves no temp file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ilo-bench-write-"))
    mkdirSync(join(dir, "report.md"))
    await expect(write(join(dir, "report.md"), "text")).rejects.toThrow(/cannot write .*report\.md/)
    expect(readdirSync(dir)).toEqual(["report.md"])
  })
})

describe("a report that cannot be written", () => {
  it("says why once, in the system's words, not the platform's message naming the path twice more", async () => {
    const dir = mkdtempSync(join(tmpdir(), "report-write-"))
    const file = join(dir, "a-file")
    writeFileSync(file, "")
    // A file where the output directory should be: ENOTDIR, for root too.
    const exit = await Effect.runPromiseExit(writeAtomically(join(file, "closed-loop.md"), "x").pipe(Effect.provide(NodeContext.layer)))
    expect(exit._tag).toBe("Failure")
    const message = exit._tag === "Failure" ? String((exit.cause as any).error?.message) : ""
    expect(message).toBe(`cannot write ${join(file, "closed-loop.md")}: not a directory (ENOTDIR)`)
  })
})
