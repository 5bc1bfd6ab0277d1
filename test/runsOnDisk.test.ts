import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger } from "effect"
import { mkdtempSync, renameSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { types } from "node:util"
import { Checkpoint, layer as CheckpointLive } from "../src/services/Checkpoint.js"
import { renderJson, type Report } from "../src/report/Json.js"
import { markdownParts } from "../src/report/Markdown.js"
import { renderHtml } from "../src/report/Html.js"
import { mergeSources, sourceOfReport } from "../src/report/Sweep.js"
import { survivalAnalysis } from "../src/report/Survival.js"
import { censusEntries } from "../src/report/Census.js"
import { resultNotes } from "../src/report/Notes.js"
import { readRuns, RunPlaces } from "../src/services/RunsOnDisk.js"
import { config, header, result } from "./support/fixtures.js"
import { NodeContext } from "./support/layers.js"
import { liveBytes } from "./support/heap.js"

const live = Layer.provideMerge(CheckpointLive, NodeContext.layer)
const quiet = Logger.replace(Logger.defaultLogger, Logger.none)

/** A complete report of these runs, as the reports are written from it. */
const reportOf = (results: Report["results"]): Report => ({
  generated: "2026-11-25T12:00:00.000Z",
  harness: "ilo-bench",
  harness_version: "0.1.0",
  complete: true,
  planned_runs: results.length,
  config: config(),
  skills: [],
  notes: ["a note"],
  results
})

describe("finished runs held without their attempts, read back from the checkpoint", () => {
  it.scoped("each run line's place is known, also after the file was moved away and written again; the runs read back are the runs", () =>
    Effect.gen(function* () {
      const file = join(mkdtempSync(join(tmpdir(), "ilo-bench-ondisk-")), "closed-loop-2026-11-25.jsonl")
      writeFileSync(file, "")
      const writer = yield* (yield* Checkpoint).begin(file, header())
      const runs = [result("t1"), result("t2", "failed"), result("t3", "error"), result("t4")]
      const places = new RunPlaces(file)
      for (const [i, r] of runs.entries()) {
        // Reply lines between runs, as a benchmark writes them.
        yield* writer.append({ type: "resume", at: `2026-11-25T1${i}:00:00.000Z`, forced: [], retry_errors: false })
        // Indices as the plan numbers its runs, not in order.
        places.set(100 - 10 * i, yield* writer.appendLocated!({ type: "run", result: r }))
        // Moved away mid-benchmark: written again at its path, lines at the same places.
        if (i === 1) {
          renameSync(file, `${file}.moved`)
          yield* writer.ensure.pipe(Effect.provide(quiet))
        }
      }
      expect(places.size).toBe(4)
      expect(places.get(99)).toBeUndefined()
      expect(places.get(5000)).toBeUndefined()
      const held = readRuns(file, runs.map((_, i) => places.get(100 - 10 * i)!), 0)
      for (const h of held) expect(types.isProxy(h)).toBe(true)
      expect(JSON.stringify(held)).toBe(JSON.stringify(runs))
      expect(held.map((h) => h.attempts)).toEqual(runs.map((r) => r.attempts))
      expect(held[0]!.attempts[0]!.program).toContain('print("t1")')
      expect([...renderJson(reportOf(held))].join("")).toBe([...renderJson(reportOf(runs))].join(""))
    }).pipe(Effect.provide(live)))
})

describe("finished runs held only as their places in the checkpoint, read back for the reports", () => {
  it.scoped("every report written from the runs read back (attempts in memory, or left in their lines) is the one written from the runs themselves", () =>
    Effect.gen(function* () {
      const file = join(mkdtempSync(join(tmpdir(), "ilo-bench-ondisk-")), "closed-loop-2026-11-25.jsonl")
      writeFileSync(file, "")
      const writer = yield* (yield* Checkpoint).begin(file, header())
      const runs = Array.from({ length: 30 }, (_, i) => result(`t${i}`, i % 7 === 3 ? "failed" : i % 11 === 5 ? "error" : "working"))
      const places = []
      for (const r of runs) {
        yield* writer.append({ type: "resume", at: "2026-11-25T10:00:00.000Z", forced: [], retry_errors: false })
        places.push(yield* writer.appendLocated!({ type: "run", result: r }))
      }
      const written = (results: Report["results"]) =>
        Effect.map(renderHtml(mergeSources([sourceOfReport(reportOf(results), "r.json")])), (html) => ({
          json: [...renderJson(reportOf(results))].join(""),
          md: [...markdownParts(reportOf(results))].join(""),
          html: [...html].join("")
        }))
      const expected = yield* written(runs)
      // Past the first two runs' lines, the rest of the runs are held as their scalar fields, the rest read from their lines when used.
      const someOnDisk = readRuns(file, places, places[0]!.length + places[1]!.length)
      expect(someOnDisk.filter((r) => types.isProxy(r))).toHaveLength(28)
      expect(types.isProxy(someOnDisk[0]!)).toBe(false)
      expect(yield* written(someOnDisk)).toEqual(expected)
      const allInMemory = readRuns(file, places)
      expect(allInMemory.some((r) => types.isProxy(r))).toBe(false)
      expect(yield* written(allInMemory)).toEqual(expected)
      expect(expected.html).toContain('print(&quot;t29&quot;)')
    }).pipe(Effect.provide(live)))
})

describe("the Markdown report in parts", () => {
  it("a report of many runs comes in several parts that join into whole lines, none lost or doubled", () => {
    const results = Array.from({ length: 400 }, (_, i) => result(`task${i}`, i % 3 === 0 ? "failed" : "working"))
    const report = reportOf(results)
    const parts = [...markdownParts(report)]
    expect(parts.length).toBeGreaterThan(2)
    const md = parts.join("")
    const lines = md.split("\n")
    // One summary row and one details heading per task, each where it belongs.
    expect(lines.filter((l) => /^\| task\d+ \|/.test(l))).toHaveLength(400)
    for (let i = 0; i < 400; i++) {
      const at = lines.indexOf(`### task${i}`)
      expect(lines[at - 1]).toBe("")
      expect(lines[at + 1]).toBe("")
      expect(lines[at + 2]).toBe("**python / haiku**  ")
    }
    expect(md).not.toContain("\n\n\n")
    expect(md.endsWith("`attempts` in the JSON.\n")).toBe(true)
  })
})

describe("a benchmark of several languages, models and trials held on disk", () => {
  it.scoped("every run past the window is held as a few fields, and the JSON, Markdown and HTML reports and their analysis are the ones made from the runs themselves", () =>
    Effect.gen(function* () {
      const file = join(mkdtempSync(join(tmpdir(), "ilo-bench-ondisk-")), "closed-loop-2026-11-25.jsonl")
      writeFileSync(file, "")
      const languages = ["ilo", "python"], models = ["haiku", "sonnet"]
      const cfg = config({
        languages: languages.map((name) => ({ name, command: [name, "{file}"], extension: `.${name}`, docs: "none" })),
        models: models.map((key) => ({ key, id: `claude-${key}` })),
        trials: 2
      })
      const writer = yield* (yield* Checkpoint).begin(file, { ...header(), config: cfg })
      const runs: Array<Report["results"][number]> = []
      let n = 0
      for (const task of ["t1", "t2", "t3"])
        for (const language of languages)
          for (const model of models)
            for (const trial of [1, 2]) {
              n++
              const base = result(task, n % 5 === 0 ? "failed" : n % 7 === 0 ? "error" : "working")
              const attempts = base.attempts.map((a) => ({
                ...a,
                cost_usd: 0.001 * n,
                // Replies the notes count: unwrapped from a fence, or with text dropped.
                unfenced: n % 3 === 0,
                ...(n % 4 === 0 ? { dropped: "print(2)" } : {}),
                // One attempt whose count is unknown makes its group's program tokens unknown.
                program_tokens: { o200k_base: n, cl100k_base: n === 9 ? null : n + 1, llama3: 2 * n }
              }))
              runs.push({
                ...base,
                language,
                model,
                trial,
                cost_usd: 0.001 * n,
                wall_time_s: n / 3,
                attempts,
                final_program_tokens: attempts.at(-1)?.program_tokens ?? { o200k_base: 0, cl100k_base: 0, llama3: 0 },
                ...(n === 4 ? { known_issue: "x".repeat(100) } : {}),
                ...(n === 6
                  ? { abandoned_requests: [{ attempt: 1, at: "2026-11-25T10:00:00.000Z", reason: "timeout", message: "gave up", prompt_chars: 900 }] }
                  : {})
              })
            }
      // Finished out of plan order, with other lines between them, as a benchmark writes them.
      const order = runs.map((_, i) => i).sort((a, b) => ((a * 7) % runs.length) - ((b * 7) % runs.length))
      const places = new Array<{ offset: number; length: number }>(runs.length)
      for (const i of order) {
        yield* writer.append({ type: "resume", at: "2026-11-25T10:00:00.000Z", forced: [], retry_errors: false })
        places[i] = yield* writer.appendLocated!({ type: "run", result: runs[i]! })
      }
      const docTokens = new Map(languages.map((l) => [l, { o200k_base: 10, cl100k_base: 11, llama3: 12 }] as const))
      const written = (results: Report["results"]) => {
        const report: Report = {
          ...reportOf(results),
          config: cfg,
          analysis: { ...survivalAnalysis(results, { languages, models }), census: censusEntries(results, docTokens, { languages, models }) }
        }
        return Effect.map(renderHtml(mergeSources([sourceOfReport(report, "r.json")]), { survival: report.analysis }), (html) => ({
          analysis: JSON.stringify(report.analysis),
          json: [...renderJson(report)].join(""),
          md: [...markdownParts(report)].join(""),
          html: [...html].join("")
        }))
      }
      const expected = yield* written(runs)
      expect(expected.md).toContain("## Token census")
      const onDisk = readRuns(file, places, 0)
      expect(onDisk.every((r) => types.isProxy(r))).toBe(true)
      expect(JSON.stringify(onDisk)).toBe(JSON.stringify(runs))
      expect(onDisk.map((r) => Object.keys(r))).toEqual(runs.map((r) => Object.keys(r)))
      expect(onDisk[3]!.known_issue).toBe("x".repeat(100))
      expect("known_issue" in onDisk[0]!).toBe(false)
      expect(yield* written(onDisk)).toEqual(expected)
      expect(yield* written(readRuns(file, places))).toEqual(expected)

      // The census and the notes count each run's attempts from what was counted as its line was
      // read: with the file gone (and nothing read of it cached), they are still the runs' own.
      const held = readRuns(file, places, 0)
      renameSync(file, `${file}.gone`)
      readRuns(`${file}.gone`, [], 0)
      expect(() => JSON.stringify(held[0])).toThrow(/no such file/)
      expect(censusEntries(held, docTokens, { languages, models })).toEqual(censusEntries(runs, docTokens, { languages, models }))
      // (Of the runs whose every note-field is held: a long known_issue, or a list of abandoned requests, stays in its line.)
      const shortOnes = (rs: ReadonlyArray<Report["results"][number]>) => rs.filter((_, i) => runs[i]!.known_issue === undefined && runs[i]!.abandoned_requests.length === 0)
      expect(resultNotes(shortOnes(held), 1024)).toEqual(resultNotes(shortOnes(runs), 1024))
      expect(resultNotes(shortOnes(runs), 1024).join("\n")).toMatch(/\d+ reply\(ies\) came wrapped in a Markdown code fence[^]*\d+ reply\(ies\) held more than one program/)
    }).pipe(Effect.provide(live)))
})

describe("the memory a report holds per run on disk", () => {
  it("20,000 runs past the window are held in under 200 bytes a run, their fields still answering", () => {
    const file = join(mkdtempSync(join(tmpdir(), "ilo-bench-ondisk-")), "closed-loop-2026-11-25.jsonl")
    const n = 20_000
    const template = result("t", "working")
    const lines: Array<string> = []
    const places: Array<{ offset: number; length: number }> = []
    let offset = 0
    for (let i = 0; i < n; i++) {
      // Every run its own task, time and cost (fractions: a column of doubles), as a long benchmark's are.
      const line = JSON.stringify({ type: "run", result: { ...template, task: `task-${i}`, wall_time_s: i / 7, cost_usd: i / 1e6, input_tokens: 1000 + i } }) + "\n"
      lines.push(line)
      places.push({ offset, length: Buffer.byteLength(line) })
      offset += Buffer.byteLength(line)
    }
    writeFileSync(file, lines.join(""))
    lines.length = 0
    // Measured on a second reading, once what writing the file left has been collected.
    const first = readRuns(file, places, 0)
    const before = liveBytes()
    const held = readRuns(file, places, 0)
    const perRun = (liveBytes() - before) / n
    expect(first[0]!.task).toBe("task-0")
    // As an array of its short fields each, a run was about 600 bytes; as a whole record about 1,100.
    expect(perRun).toBeLessThan(200)
    expect(held[12_345]!.task).toBe("task-12345")
    expect(held[12_345]!.wall_time_s).toBe(12_345 / 7)
    expect(held[19_999]!.cost_usd).toBe(19_999 / 1e6)
    expect(held[7]!.attempts[0]!.program).toBe(template.attempts[0]!.program)
  })
})

describe("the sweep of a benchmark's own report", () => {
  it("keeps the report's runs as they are, no map keyed by run, and is the sweep a merge by run makes", () => {
    const results = Array.from({ length: 50 }, (_, i) => result(`t${i}`, i % 4 === 0 ? "failed" : "working"))
    const source = sourceOfReport(reportOf(results), "r.json")
    const own = mergeSources([source], { oneRunEach: true })
    expect(own.results).toBe(source.results)
    const { results: merged, ...rest } = mergeSources([source])
    const { results: kept, ...same } = own
    expect(kept).toEqual(merged)
    expect(same).toEqual(rest)
  })
})
