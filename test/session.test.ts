import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Either, Exit, Fiber, Layer, Ref } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runSession, type ResumeRequest } from "../src/session/Session.js"
import type { RunResult } from "../src/domain/Result.js"
import type { RunConfig } from "../src/domain/RunConfig.js"
import { plan, type RunSpec } from "../src/loop/Plan.js"
import { parseCheckpoint } from "../src/services/Checkpoint.js"
import { config } from "./support/fixtures.js"
import { apiError, fixedSkills, memoryCheckpoint, NodeContext, python, reply, run, scriptedLlm, scriptedRunner, settings, task } from "./support/layers.js"
import type { LlmError, LlmReply, LlmRequest } from "../src/services/Llm.js"

/** Programs are their own output: "print:X" prints X, "fail:E" exits 1 with E on stderr. */
const echoRunner = scriptedRunner(({ source }) =>
  source.startsWith("print:") ? run({ stdout: source.slice(6) + "\n" }) : run({ exitCode: 1, stderr: source.startsWith("fail:") ? source.slice(5) : "bad" })
)

const runs = plan([task("t1", "1"), task("t2", "2"), task("t3", "3"), task("t4", "4")], [python], [{ key: "haiku", id: "claude-haiku-4-5" }])

/** The task a request is about, from its prompt. */
const taskOf = (request: LlmRequest) => /Print (\w+)\./.exec(request.messages[0]!.content)?.[1] ?? "?"
const answer = (request: LlmRequest) => Effect.succeed(reply(`print:${taskOf(request)}`))

/** One session with test layers: a scripted model, no real programs, the checkpoint in memory, reports on disk. */
const session = (
  llmScript: (request: LlmRequest, n: number) => Effect.Effect<LlmReply, LlmError>,
  options: {
    readonly resume?: ResumeRequest
    readonly config?: RunConfig
    readonly dir?: string
    readonly checkpoint?: ReturnType<typeof memoryCheckpoint>
    readonly runs?: ReadonlyArray<RunSpec>
    readonly retryCap?: number
  } = {}
) =>
  Effect.gen(function* () {
    const llm = yield* scriptedLlm(llmScript)
    const checkpoint = options.checkpoint ?? memoryCheckpoint()
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "ilo-bench-session-"))
    const outcome = yield* Effect.scoped(
      runSession({
        runs: options.runs ?? runs,
        settings: settings({ retryCap: options.retryCap ?? 2 }),
        concurrency: 2,
        config: options.config ?? config(),
        languages: [python],
        skipped: [],
        outputDir: dir,
        resume: options.resume,
        args: ["run", "--python"]
      })
    ).pipe(Effect.provide(Layer.mergeAll(llm.layer, echoRunner, fixedSkills(), checkpoint.layer, NodeContext.layer)), Effect.either)
    return { outcome, requests: yield* llm.requests, checkpoint, dir }
  })

const linesOf = (text: string) => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))

describe("a benchmark session", () => {
  it.effect("writes the header, then each model reply and each finished run, to the checkpoint claimed under the report stamp", () =>
    Effect.gen(function* () {
      const { outcome, checkpoint } = yield* session(answer)
      const { paths, report } = Either.getOrThrow(outcome)
      expect(paths.jsonl).toMatch(/closed-loop-\d{4}-\d{2}-\d{2}\.jsonl$/)
      expect(paths.json).toBe(paths.jsonl.replace(/\.jsonl$/, ".json"))
      const lines = linesOf(checkpoint.files.get(paths.jsonl)!)
      expect(lines[0]).toMatchObject({ type: "header", config: { retry_cap: 5, tasks_sha256: "a".repeat(64) }, skills: [] })
      const written = lines.slice(1).map((l) => [l.type, l.type === "run" ? l.result.task : l.task])
      expect(written.filter(([type]) => type === "run").map(([, t]) => t).sort()).toEqual(["t1", "t2", "t3", "t4"])
      // Each run's reply is on disk before the run's line.
      for (const t of ["t1", "t2", "t3", "t4"]) {
        const replyAt = written.findIndex(([type, id]) => type === "reply" && id === t)
        expect(replyAt).toBeGreaterThanOrEqual(0)
        expect(replyAt).toBeLessThan(written.findIndex(([type, id]) => type === "run" && id === t))
      }
      expect(lines.find((l) => l.type === "reply" && l.task === "t1")).toMatchObject({
        language: "python",
        model: "haiku",
        trial: 1,
        attempt: 1,
        reply: { text: "print:1" },
        api_retries: 0
      })
      expect(report.complete).toBe(true)
      expect(JSON.parse(readFileSync(paths.json, "utf8")).complete).toBe(true)
    }))

  it.effect("a resume asks the model only for the runs the checkpoint lacks; the report has every run once, in the seed's order", () =>
    Effect.gen(function* () {
      // A first session that finished t1 and t3 (say, before a kill -9), then a resume.
      const first = yield* session(answer)
      const { paths } = Either.getOrThrow(first.outcome)
      const text = first.checkpoint.files.get(paths.jsonl)!
      const kept = text.split("\n").filter((l) => l !== "" && !/"task":"t[24]"/.test(l))
      first.checkpoint.files.set(paths.jsonl, kept.join("\n") + "\n")

      const resumed = yield* session(answer, { checkpoint: first.checkpoint, resume: { path: paths.jsonl, force: false, retryErrors: false } })
      const { report } = Either.getOrThrow(resumed.outcome)
      expect(resumed.requests.map(taskOf).sort()).toEqual(["2", "4"])
      expect(report.results.map((r) => r.task)).toEqual(["t1", "t2", "t3", "t4"])
      expect(report.complete).toBe(true)
      expect(report.notes[0]).toContain("2 run(s) finished earlier were kept and not asked again")
      const onDisk = Either.getOrThrow(parseCheckpoint(paths.jsonl, first.checkpoint.files.get(paths.jsonl)!))
      expect(onDisk.runs.map((r) => r.task)).toEqual(["t1", "t3", "t2", "t4"])
      expect(onDisk.resumes).toHaveLength(1)
      // The reports are rewritten under the checkpoint's stamp.
      expect(JSON.parse(readFileSync(paths.json, "utf8")).results).toHaveLength(4)
    }))

  it.effect("a run interrupted after two failed attempts resumes from their replies: the model is asked from attempt 3 on, and the result is an uninterrupted run's", () =>
    Effect.gen(function* () {
      const one = plan([task("t1", "1")], [python], [{ key: "haiku", id: "claude-haiku-4-5" }])
      // Attempt n's program fails with "try n" until the third, which works; a repair prompt quotes the failed try.
      const attemptOf = (request: LlmRequest) => Number(/Error \/ actual output:\ntry (\d)/.exec(request.messages[0]!.content)?.[1] ?? 0) + 1
      const script = (request: LlmRequest) => {
        const n = attemptOf(request)
        return Effect.succeed(reply(n < 3 ? `fail:try ${n}` : "print:1", 10 * n, 100 * n))
      }
      const whole = yield* session(script, { runs: one, retryCap: 5 })
      expect(whole.requests.map(attemptOf)).toEqual([1, 2, 3])

      // The same run, interrupted while its third request is out.
      const stalled = yield* Deferred.make<void>()
      const checkpoint = memoryCheckpoint()
      const first = yield* Effect.fork(
        session((request) => (attemptOf(request) === 3 ? Deferred.succeed(stalled, undefined).pipe(Effect.zipRight(Effect.never)) : script(request)), {
          runs: one,
          retryCap: 5,
          checkpoint
        })
      )
      yield* Deferred.await(stalled)
      yield* Fiber.interrupt(first)
      const jsonl = [...checkpoint.files.keys()][0]!
      const saved = Either.getOrThrow(parseCheckpoint(jsonl, checkpoint.files.get(jsonl)!))
      expect(saved.runs).toEqual([])
      expect(saved.replies.map((r) => [r.task, r.attempt, r.reply.text])).toEqual([["t1", 1, "fail:try 1"], ["t1", 2, "fail:try 2"]])

      const resumed = yield* session(script, { runs: one, retryCap: 5, checkpoint, resume: { path: jsonl, force: false, retryErrors: false } })
      const { report } = Either.getOrThrow(resumed.outcome)
      expect(resumed.requests).toEqual([whole.requests[2]]) // only attempt 3, exactly as the uninterrupted run sent it
      const apartFromTimes = (r: RunResult) => ({ ...r, wall_time_s: 0, elapsed_s: 0, attempts: r.attempts.map((a) => ({ ...a, duration_ms: 0 })) })
      expect(apartFromTimes(report.results[0]!)).toEqual(apartFromTimes(Either.getOrThrow(whole.outcome).report.results[0]!))
      expect(report.results[0]).toMatchObject({ final_outcome: "working", attempts_to_success: 3, generation_tokens: 60 })
      expect(report.notes[0]).toContain("1 run(s) were run on resume, 1 of them continuing from 2 recorded replies")
      // The replayed replies are not written again; the new one is.
      const after = Either.getOrThrow(parseCheckpoint(jsonl, checkpoint.files.get(jsonl)!))
      expect(after.replies.map((r) => r.attempt)).toEqual([1, 2, 3])
      expect(after.runs).toHaveLength(1)
    }))

  it.effect("runs that ended in error are run again on resume; --retry-errors does the same for a complete checkpoint", () =>
    Effect.gen(function* () {
      const broken = (request: LlmRequest) =>
        taskOf(request) === "2"
          ? Effect.fail(apiError("request", 400))
          : answer(request)
      const first = yield* session(broken)
      const { paths, report } = Either.getOrThrow(first.outcome)
      expect(report.results.map((r) => r.final_outcome)).toEqual(["working", "error", "working", "working"])

      const plain = yield* session(answer, { checkpoint: first.checkpoint, resume: { path: paths.jsonl, force: false, retryErrors: false } })
      expect(plain.requests).toHaveLength(0) // complete: nothing missing
      expect(Either.getOrThrow(plain.outcome).report.results[1]!.final_outcome).toBe("error")

      const retried = yield* session(answer, { checkpoint: first.checkpoint, resume: { path: paths.jsonl, force: false, retryErrors: true } })
      expect(retried.requests.map(taskOf)).toEqual(["2"])
      expect(Either.getOrThrow(retried.outcome).report.results.map((r) => r.final_outcome)).toEqual(["working", "working", "working", "working"])
    }))

  it.effect("a resume with a configuration that changes results is refused, naming it; --force resumes and the report says so", () =>
    Effect.gen(function* () {
      const first = yield* session(answer)
      const { paths } = Either.getOrThrow(first.outcome)
      const resume = { path: paths.jsonl, force: false, retryErrors: false }
      const refused = yield* session(answer, { checkpoint: first.checkpoint, resume, config: config({ retry_cap: 3 }) })
      expect(Either.isLeft(refused.outcome)).toBe(true)
      const error = Either.flip(refused.outcome).pipe(Either.getOrThrow)
      expect(error._tag).toBe("CheckpointMismatch")
      expect(error.message).toContain("retry cap: checkpoint 5, now 3")
      expect(refused.requests).toHaveLength(0)

      const forced = yield* session(answer, { checkpoint: first.checkpoint, resume: { ...resume, force: true }, config: config({ retry_cap: 3 }) })
      const { report } = Either.getOrThrow(forced.outcome)
      expect(report.notes.join("\n")).toContain("Resumed with --force although the configuration differed from the checkpoint's: retry cap: checkpoint 5, now 3")
      expect(readFileSync(paths.md, "utf8")).toContain("--force")
    }))

  it.live("an interrupt stops the runs in flight and writes reports of what finished, marked partial", () =>
    Effect.gen(function* () {
      const abandoned = yield* Ref.make(0)
      const started = yield* Deferred.make<void>()
      // t1 and t2 answer; t3 and t4 never do, until the interrupt abandons them.
      const script = (request: LlmRequest) =>
        ["1", "2"].includes(taskOf(request))
          ? answer(request)
          : Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never), Effect.onInterrupt(() => Ref.update(abandoned, (n) => n + 1)))
      const dir = mkdtempSync(join(tmpdir(), "ilo-bench-session-"))
      const checkpoint = memoryCheckpoint()
      const fiber = yield* Effect.fork(session(script, { dir, checkpoint }))
      yield* Deferred.await(started)
      // Wait until both answered runs are in the checkpoint.
      while ([...checkpoint.files.values()].join("").split('"type":"run"').length - 1 < 2) yield* Effect.sleep(5)
      yield* Fiber.interrupt(fiber)

      expect(yield* Ref.get(abandoned)).toBe(2)
      const jsonl = [...checkpoint.files.keys()][0]!
      const report = JSON.parse(readFileSync(jsonl.replace(/\.jsonl$/, ".json"), "utf8"))
      expect(report.complete).toBe(false)
      expect(report.results.map((r: { task: string }) => r.task)).toEqual(["t1", "t2"])
      expect(report.notes[0]).toContain("Interrupted: 2 of 4 runs finished")
      expect(report.notes[0]).toContain(`ilo-bench run --python --resume ${jsonl}`)
      expect(readFileSync(jsonl.replace(/\.jsonl$/, ".md"), "utf8")).toContain("**Partial run**")
    }))

  it.live("an interrupt after every run has finished waits for the reports and what the command prints with them", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "ilo-bench-session-"))
      const checkpoint = memoryCheckpoint()
      const printing = yield* Deferred.make<void>()
      const printed = yield* Ref.make(false)
      const llm = yield* scriptedLlm(answer)
      const fiber = yield* Effect.fork(
        Effect.scoped(
          runSession({
            runs,
            settings: settings({ retryCap: 2 }),
            concurrency: 2,
            config: config(),
            languages: [python],
            skipped: [],
            outputDir: dir,
            args: ["run", "--python"],
            finished: () => Deferred.succeed(printing, undefined).pipe(Effect.zipRight(Effect.sleep(100)), Effect.zipRight(Ref.set(printed, true)))
          })
        ).pipe(Effect.provide(Layer.mergeAll(llm.layer, echoRunner, fixedSkills(), checkpoint.layer, NodeContext.layer)))
      )
      yield* Deferred.await(printing)
      yield* Fiber.interrupt(fiber)
      expect(yield* Ref.get(printed)).toBe(true)
      const jsonl = [...checkpoint.files.keys()][0]!
      const report = JSON.parse(readFileSync(jsonl.replace(/\.jsonl$/, ".json"), "utf8"))
      expect(report.complete).toBe(true)
      expect(report.results).toHaveLength(4)
    }))

  it.live("an error that stops the batch (a bug in one run) still leaves reports of what finished, marked partial", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "ilo-bench-session-"))
      const checkpoint = memoryCheckpoint()
      const script = (request: LlmRequest) => (taskOf(request) === "3" ? Effect.die(new TypeError("boom")) : answer(request))
      const exit = yield* Effect.exit(session(script, { dir, checkpoint }))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      const jsonl = [...checkpoint.files.keys()][0]!
      const report = JSON.parse(readFileSync(jsonl.replace(/\.jsonl$/, ".json"), "utf8"))
      expect(report.complete).toBe(false)
      expect(report.results.map((r: { task: string }) => r.task)).not.toContain("t3")
      expect(report.notes[0]).toMatch(/^Stopped by an error: \d of 4 runs finished/)
      expect(readFileSync(jsonl.replace(/\.jsonl$/, ".md"), "utf8")).toContain("**Partial run**")
    }))
})
