import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Logger } from "effect"
import type { RunResult } from "../src/domain/Result.js"
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { plan } from "../src/loop/Plan.js"
import { Checkpoint, layer as CheckpointLive, parseCheckpoint } from "../src/services/Checkpoint.js"
import { decodeRecorded, planResume, planResumeOf, Recorded } from "../src/session/Resume.js"
import { countTokens } from "../src/services/Tokenizers.js"
import { runSession } from "../src/session/Session.js"
import type { Progress } from "../src/report/LiveProgress.js"
import { config, header, replyLine, result } from "./support/fixtures.js"
import { fixedSkills, NodeContext, python, reply, run, scriptedLlm, scriptedRunner, settings, task } from "./support/layers.js"
import { liveBytes } from "./support/heap.js"

// Signing keys go to a state directory of the test's own.
process.env.XDG_STATE_HOME = mkdtempSync(join(tmpdir(), "ilo-bench-state-"))

const live = Layer.provideMerge(CheckpointLive, NodeContext.layer)
const quiet = Logger.replace(Logger.defaultLogger, Logger.none)
const tempFile = () => join(mkdtempSync(join(tmpdir(), "ilo-bench-resume-")), "closed-loop-2026-11-25.jsonl")
const haiku = [{ key: "haiku", id: "claude-haiku-4-5" }]

describe("a resume reads its checkpoint line by line and holds the runs it keeps as places", () => {
  it.scoped("plans what the checkpoint read whole plans: kept runs read back as they were, replies, errors re-run, a program that killed the harness twice", () =>
    Effect.gen(function* () {
      const file = tempFile()
      writeFileSync(file, "")
      const runs = plan(Array.from({ length: 12 }, (_, i) => task(`t${i}`)), [python], haiku)
      const writer = yield* (yield* Checkpoint).begin(file, header())
      for (let i = 0; i < 12; i++) {
        if (i === 5) continue
        yield* writer.append(replyLine(`t${i}`, 1, `print("t${i}")\n# ünïcode ${"x".repeat(i * 40)}`))
        // t8 and t9: replies and no run; t9's second program started twice and never ended.
        if (i === 8 || i === 9) {
          yield* writer.append(replyLine(`t${i}`, 2))
          if (i === 9) yield* writer.append({ type: "started", task: "t9", language: "python", model: "haiku", trial: 1, attempt: 2 })
          continue
        }
        yield* writer.append({ type: "ended", task: `t${i}`, language: "python", model: "haiku", trial: 1, attempt: 1 })
        yield* writer.append({ type: "run", result: result(`t${i}`, i === 3 ? "error" : i === 4 ? "failed" : "working") })
      }
      // t3 re-run: its later line counts; a run not planned now is passed over.
      yield* writer.append({ type: "run", result: result("t3", "partial") })
      yield* writer.append({ type: "run", result: result("t99") })
      yield* writer.append({ type: "run", result: result("t6", "error") })

      const whole = yield* (yield* Checkpoint).read(file).pipe(Effect.provide(quiet))
      const recorded = new Recorded(runs, file)
      const lines = yield* (yield* Checkpoint).read(file, recorded.visitor).pipe(Effect.provide(quiet))
      // Handed over, not kept.
      expect([lines.runs.length, lines.replies.length, (lines.started ?? []).length]).toEqual([0, 0, 0])
      expect(lines.validBytes).toBe(whole.validBytes)

      const onDisk = planResumeOf(runs, recorded, false)
      const inMemory = planResume(runs, whole.runs, false, whole.replies, whole.started ?? [])
      expect(onDisk.todo).toEqual(inMemory.todo)
      expect(onDisk.todo.map((s) => [s.task.id, (s.recorded ?? []).map((r) => r.attempt), s.killedHarness])).toEqual([
        ["t5", [], undefined],
        ["t6", [1], undefined],
        ["t8", [1, 2], undefined],
        ["t9", [1, 2], 2]
      ])
      const { kept: _a, todo: _b, ...counts } = onDisk
      const { kept: _c, todo: _d, ...countsWhole } = inMemory
      expect(counts).toEqual(countsWhole)
      expect([...onDisk.kept.keys()]).toEqual([...inMemory.kept.keys()])
      // Each kept run read back from its line is the record read whole, its fields in the same order.
      for (const index of onDisk.kept.keys()) {
        expect(JSON.stringify(onDisk.kept.get(index))).toBe(JSON.stringify(inMemory.kept.get(index)))
        const at = onDisk.kept.place(index)!
        const line = JSON.parse(readFileSync(file).toString("utf8", at.offset, at.offset + at.length)) as { result: unknown }
        expect(JSON.stringify(decodeRecorded(line.result))).toBe(JSON.stringify(inMemory.kept.get(index)))
      }
      expect(onDisk.kept.get(3)!.final_outcome).toBe("partial")
      expect([...onDisk.kept.values()].map((r) => r.task)).toEqual(["t0", "t1", "t2", "t3", "t4", "t7", "t10", "t11"])
    }).pipe(Effect.provide(live)))

  it("a kept run an older harness wrote without its later fields reads back with their defaults, as reading it whole gives", () => {
    const { trial: _trial, flaky: _flaky, abandoned_requests: _abandoned, ...old } = result("t1")
    const back = decodeRecorded(JSON.parse(JSON.stringify(old)))
    expect(back).toMatchObject({ trial: 1, flaky: false, abandoned_requests: [] })
    const whole = Either.getOrThrow(parseCheckpoint("old.jsonl", [header(), { type: "run", result: old }].map((l) => JSON.stringify(l) + "\n").join("")))
    expect(JSON.stringify(back)).toBe(JSON.stringify(whole.runs[0]))
  })

  it.scoped("holds a few bytes a run of a checkpoint of 5,000 runs, where holding its runs and replies was several KB a run", () =>
    Effect.gen(function* () {
      const n = 5_000
      const file = tempFile()
      const runs = plan(Array.from({ length: n }, (_, i) => task(`task-${i}`)), [python], haiku)
      const template = result("t", "working")
      const lines = [JSON.stringify(header())]
      // 90% of the runs finished, the rest with a reply each.
      for (let i = 0; i < n; i++) {
        lines.push(JSON.stringify(replyLine(`task-${i}`, 1, `print(${i})\n` + "# a comment line of the program\n".repeat(20))))
        if (i < n * 0.9) lines.push(JSON.stringify({ type: "run", result: { ...template, task: `task-${i}`, input_tokens: 100 + i } }))
      }
      writeFileSync(file, lines.join("\n") + "\n")
      lines.length = 0
      const checkpoint = yield* Checkpoint
      const resume = () =>
        Effect.gen(function* () {
          const recorded = new Recorded(runs, file)
          yield* checkpoint.read(file, recorded.visitor).pipe(Effect.provide(quiet))
          return planResumeOf(runs, recorded, false)
        })
      yield* resume()
      const before = liveBytes()
      const held = yield* resume()
      const perRun = (liveBytes() - before) / n
      expect(held.kept.size).toBe(n * 0.9)
      expect(held.todo).toHaveLength(n / 10)
      expect(held.todo[0]!.recorded![0]!.reply.text).toMatch(/^print\(4500\)/)
      expect(held.kept.get(runs[1_234]!.index)!.input_tokens).toBe(1_334)
      // The records read whole (each run's attempts and its reply), as a resume held them before: over 3 KB a run.
      const wholeFrom = liveBytes()
      const whole = yield* checkpoint.read(file).pipe(Effect.provide(quiet))
      const wholePlan = planResume(runs, whole.runs, false, whole.replies, whole.started ?? [])
      const perRunWhole = (liveBytes() - wholeFrom) / n
      expect(wholePlan.kept.size).toBe(held.kept.size)
      expect(perRunWhole).toBeGreaterThan(1_000)
      expect(perRun).toBeLessThan(100)
    }).pipe(Effect.provide(live)))

  it.live("while a resume runs the runs its checkpoint lacks, it holds a few bytes per run it kept, not their records", () =>
    Effect.gen(function* () {
      /** Resumes a checkpoint of `kept` finished runs and one to do (the plan's last); what the live heap gained once the model is asked for it. */
      const heapDuringRuns = (kept: number) =>
        Effect.gen(function* () {
          const file = tempFile()
          const runs = plan(Array.from({ length: kept + 1 }, (_, i) => task(`task-${i}`)), [python], haiku)
          const template = result("t", "working")
          // A line at a time: no text of the whole file is left for the collector.
          const fd = openSync(file, "w")
          writeSync(fd, JSON.stringify({ ...header(), skills: [] }) + "\n")
          for (let i = 0; i < kept; i++) writeSync(fd, JSON.stringify({ type: "run", result: { ...template, task: `task-${i}`, cost_usd: 0.001 } }) + "\n")
          closeSync(fd)
          // The plan is held by the benchmark with or without a resume: what the resume adds is measured from here.
          countTokens("print(55)")
          const before = liveBytes()
          let during = 0
          const llm = yield* scriptedLlm(() =>
            Effect.sync(() => {
              // The vocabularies are loaded while the runs go (each program is counted): loaded here for both measures.
              countTokens("print(55)")
              during = liveBytes()
              return reply("print(55)")
            })
          )
          const seen: Array<RunResult> = []
          const progress: Progress = {
            listener: () => Effect.void,
            kept: (_spec, r) => Effect.sync(() => void (seen.length < 3 && seen.push(r))),
            track: (effect) => effect,
            status: () => ""
          }
          let keptCount = 0
          const counting: Progress = { ...progress, kept: (spec, r) => Effect.zipRight(progress.kept(spec, r), Effect.sync(() => void keptCount++)) }
          const outcome = yield* Effect.scoped(
            runSession({
              runs,
              settings: settings({ retryCap: 1 }),
              concurrency: 1,
              config: config(),
              languages: [python],
              skipped: [],
              outputDir: join(file, ".."),
              resume: { path: file, force: false, retryErrors: false },
              progress: counting,
              args: ["run", "--python"]
            })
          ).pipe(
            Effect.provide(
              Layer.mergeAll(llm.layer, scriptedRunner(() => run({ stdout: "55\n" })), fixedSkills(), live, NodeContext.layer, quiet)
            )
          )
          // The kept runs were counted (the progress lines) and are in the report, read back from their lines.
          expect(keptCount).toBe(kept)
          expect(seen.map((r) => r.task)).toEqual(["task-0", "task-1", "task-2"])
          expect(outcome.report.results).toHaveLength(kept + 1)
          expect(outcome.report.results.at(-1)).toMatchObject({ task: `task-${kept}`, final_outcome: "working" })
          expect(JSON.stringify(outcome.report.results[7])).toBe(JSON.stringify(decodeRecorded({ ...template, task: "task-7", cost_usd: 0.001 })))
          return during - before
        })
      // The first session loads what every session then uses.
      yield* heapDuringRuns(100)
      const small = yield* heapDuringRuns(500)
      const large = yield* heapDuringRuns(10_500)
      const perKeptRun = (large - small) / 10_000
      // Held as the reports hold runs (their first megabytes of lines as records, the rest in columns), about 1.6 KB a kept run here.
      expect(perKeptRun).toBeLessThan(200)
    }), 180_000)
})

