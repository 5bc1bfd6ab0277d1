import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Ref, TestClock } from "effect"
import type { CheckpointReply } from "../src/domain/Checkpoint.js"
import { runAll } from "../src/loop/AllRuns.js"
import { runClosedLoop } from "../src/loop/ClosedLoop.js"
import { EndpointUnusable } from "../src/providers/StopEarly.js"
import { Llm } from "../src/services/Llm.js"
import { ProgramRunner, SpawnError } from "../src/services/ProgramRunner.js"
import { layer as RateGateLive } from "../src/services/RateGate.js"
import { apiError, fixedSkills, ilo, python, reply, run, scriptedLlm, scriptedRunner, settings, spec, task } from "./support/layers.js"

/** Programs in these tests are their own output: "print:X" prints X, "fail:E" exits 1 with E on stderr. */
const echoRunner = scriptedRunner(({ source }) =>
  source.startsWith("print:")
    ? run({ stdout: source.slice(6) + "\n" })
    : source.startsWith("fail:")
      ? run({ exitCode: 1, stderr: source.slice(5) })
      : source === "hang"
        ? run({ exitCode: null, timedOut: true, stdout: "partial" })
        : run({ stdout: "" })
)

const loop = (
  script: Parameters<typeof scriptedLlm>[0],
  s = spec(),
  cfg = settings()
) =>
  Effect.gen(function* () {
    const llm = yield* scriptedLlm(script)
    const replies = yield* Ref.make<ReadonlyArray<CheckpointReply>>([])
    const result = yield* runClosedLoop(s, cfg, { onReply: (r) => Ref.update(replies, (all) => [...all, r]) }).pipe(
      Effect.provide(Layer.mergeAll(llm.layer, echoRunner, fixedSkills()))
    )
    return { result, requests: yield* llm.requests, replies: yield* Ref.get(replies) }
  })

describe("closed loop", () => {
  it.effect("a first-time success is one attempt, working, with the seed's fields", () =>
    Effect.gen(function* () {
      const { result, requests } = yield* loop(() => Effect.succeed(reply("print:55", 42, 900)))
      expect(requests).toHaveLength(1)
      expect(result).toMatchObject({
        task: "t1",
        language: "python",
        model: "haiku",
        model_id: "claude-haiku-4-5",
        generation_tokens: 42,
        input_tokens: 900,
        repair_tokens_by_turn: [],
        attempts_to_success: 1,
        attempts_total: 1,
        success_rate: 1,
        final_outcome: "working"
      })
    }))

  it.effect("a failure sends stderr back in a repair prompt and counts repair tokens per turn", () =>
    Effect.gen(function* () {
      const { result, requests } = yield* loop((_, n) =>
        Effect.succeed(n === 0 ? reply("fail:NameError: x is not defined", 11) : reply("print:55", 13))
      )
      expect(requests).toHaveLength(2)
      const repair = requests[1]!.messages[0]!.content
      expect(repair).toContain("The previous python program for this task failed.")
      expect(repair).toContain("Error / actual output:\nNameError: x is not defined\n\n")
      expect(result.repair_tokens_by_turn).toEqual([13])
      expect(result.generation_tokens).toBe(24)
      expect(result.attempts_to_success).toBe(2)
      expect(result.attempts[0]!.error_detail).toBe("NameError: x is not defined")
    }))

  it.effect("wrong output is partial and its stdout is what goes back; the cap bounds attempts", () =>
    Effect.gen(function* () {
      const { result, requests } = yield* loop(() => Effect.succeed(reply("print:54")), spec(), settings({ retryCap: 3 }))
      expect(requests).toHaveLength(3)
      expect(result.final_outcome).toBe("partial")
      expect(result.attempts_to_success).toBeNull()
      expect(result.attempts_total).toBe(3)
      expect(result.success_rate).toBe(0)
      expect(requests[1]!.messages[0]!.content).toContain("Error / actual output:\n54\n")
    }))

  it.effect("a timed-out program fails and sends back the word timeout, as the seed did", () =>
    Effect.gen(function* () {
      const { result, requests } = yield* loop((_, n) => Effect.succeed(reply(n === 0 ? "hang" : "print:55")))
      expect(result.attempts[0]).toMatchObject({ outcome: "failed", timed_out: true, error_detail: "timeout" })
      expect(requests[1]!.messages[0]!.content).toContain("Error / actual output:\ntimeout\n")
    }))

  it.effect("a fenced reply is unwrapped and the attempt says so", () =>
    Effect.gen(function* () {
      const { result } = yield* loop(() => Effect.succeed(reply("```python\nprint:55\n```")))
      expect(result.final_outcome).toBe("working")
      expect(result.attempts[0]).toMatchObject({ unfenced: true, program: "print:55" })
    }))

  it.effect("an API failure is retried on the schedule and never costs an attempt", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(
        loop((_, n) => (n < 2 ? Effect.fail(apiError("overloaded", 529)) : Effect.succeed(reply("print:55"))))
      )
      yield* TestClock.adjust(Duration.minutes(5))
      const { result, requests } = yield* Fiber.join(fiber)
      expect(requests).toHaveLength(3)
      expect(result).toMatchObject({ final_outcome: "working", attempts_total: 1, api_retries: 2, api_error: null })
    }))

  it.effect("retry-after is honoured: no retry before it has passed", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(
        loop((_, n) => (n === 0 ? Effect.fail(apiError("rate_limit", 429, 20_000)) : Effect.succeed(reply("print:55"))))
      )
      yield* TestClock.adjust(Duration.seconds(19))
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.seconds(2))
      const { requests } = yield* Fiber.join(fiber)
      expect(requests).toHaveLength(2)
    }))

  it.effect("a model that cannot be reached ends the run as error, not failed", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(loop(() => Effect.fail(apiError("server", 500))))
      yield* TestClock.adjust(Duration.minutes(10))
      const { result, requests } = yield* Fiber.join(fiber)
      expect(requests).toHaveLength(4) // one call and three retries
      expect(result.final_outcome).toBe("error")
      expect(result.attempts_total).toBe(0)
      expect(result.api_error).toMatchObject({ kind: "server", status: 500, attempt: 1 })
    }))

  it.effect("a request the API rejects (400) is not retried", () =>
    Effect.gen(function* () {
      const { result, requests } = yield* loop(() => Effect.fail(apiError("request", 400)))
      expect(requests).toHaveLength(1)
      expect(result.final_outcome).toBe("error")
    }))

  it.effect("a request that hangs times out, is retried, and the run goes on", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(
        loop((_, n) => (n === 0 ? Effect.never : Effect.succeed(reply("print:55"))), spec(), settings({ requestTimeout: Duration.seconds(5) }))
      )
      yield* TestClock.adjust(Duration.seconds(30))
      const { result, requests } = yield* Fiber.join(fiber)
      expect(requests).toHaveLength(2)
      expect(result).toMatchObject({ final_outcome: "working", api_retries: 1 })
    }))

  it.effect("the checkpoint's asked lines say only what may be in flight: a try answered with an error is 'errored'; one abandoned after sending stays asked", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const llm = yield* scriptedLlm((_, n) =>
        n === 0 ? Effect.fail(apiError("rate_limit", 429, 1000)) : n === 1 ? Effect.never : Effect.succeed(reply("print:55"))
      )
      const fiber = yield* Effect.fork(
        runClosedLoop(spec(), settings({ requestTimeout: Duration.seconds(5) }), {
          onAsk: (line) => Effect.sync(() => void lines.push(line.type)),
          onReply: () => Effect.sync(() => void lines.push("reply"))
        }).pipe(Effect.provide(Layer.mergeAll(llm.layer, echoRunner, fixedSkills())))
      )
      yield* TestClock.adjust(Duration.seconds(60))
      const result = yield* Fiber.join(fiber)
      expect(result).toMatchObject({ final_outcome: "working", api_retries: 2 })
      // The 429 was an answer: nothing in flight in the pause after it. The timed-out try may have
      // been read (and billed): its request stays asked until the reply that answers both.
      expect(lines).toEqual(["asked", "errored", "asked", "reply"])
    }))

  it.effect("a stop on the endpoint's HTTP answer (a refused key) leaves its request errored, not in flight; one on a reset connection does not", () =>
    Effect.gen(function* () {
      const linesFor = (what: string) =>
        Effect.gen(function* () {
          const lines: Array<string> = []
          const refused = Layer.succeed(
            Llm,
            Llm.make({ provider: "anthropic", complete: () => Effect.fail(new EndpointUnusable({ url: "u", model: "m", what, check: "the key" })) })
          )
          const exit = yield* Effect.exit(
            runClosedLoop(spec(), settings(), { onAsk: (line) => Effect.sync(() => void lines.push(line.type)) }).pipe(
              Effect.provide(Layer.mergeAll(refused, echoRunner, fixedSkills()))
            )
          )
          expect(exit._tag).toBe("Failure")
          return lines
        })
      expect(yield* linesFor("HTTP 401 (invalid x-api-key)")).toEqual(["asked", "errored"])
      expect(yield* linesFor("ECONNRESET")).toEqual(["asked"])
    }))

  it.effect("ilo runs get the ilo system prompt and the skill modules in the user turn", () =>
    Effect.gen(function* () {
      const { requests } = yield* loop(() => Effect.succeed(reply("print:55")), spec({ language: ilo }))
      expect(requests[0]!.system[0]!.text).toContain("You are an ilo programming language expert.")
      expect(requests[0]!.messages[0]!.content).toBe(
        "Task: Print 55.\n\nExpected output: 55\n\n---LANGUAGE DOCUMENTATION---\n# ilo-language\n\n---END---\n"
      )
    }))

  it.effect("the second language gets the seed's no-documentation line", () =>
    Effect.gen(function* () {
      const { requests } = yield* loop(() => Effect.succeed(reply("print:55")), spec({ language: python, task: task("t2", "5\\n0") }))
      expect(requests[0]!.messages[0]!.content).toContain("(No formal language documentation available for python.)")
    }))
})

describe("a run continued from recorded replies (a resume)", () => {
  // Each attempt's program fails with the attempt's own error until the third, which works. Every
  // reply takes 2 s, and the second attempt's first try is refused with a 529 and retried.
  const attemptOf = (request: Parameters<Parameters<typeof scriptedLlm>[0]>[0]) => {
    const prompt = request.messages.map((m) => m.content).join("\n")
    return prompt.includes("Error / actual output:\nsecond") ? 3 : prompt.includes("Error / actual output:\nfirst") ? 2 : 1
  }
  const script = (tried: Set<number>) => (request: Parameters<Parameters<typeof scriptedLlm>[0]>[0]) => {
    const attempt = attemptOf(request)
    if (attempt === 2 && !tried.has(2)) {
      tried.add(2)
      return Effect.as(Effect.sleep(Duration.seconds(1)), undefined).pipe(Effect.zipRight(Effect.fail(apiError("overloaded", 529))))
    }
    const text = ["fail:first", "fail:second", "print:55"][attempt - 1]!
    return Effect.as(Effect.sleep(Duration.seconds(2)), reply(text, 10 * attempt, 1000 * attempt, { usage: { input: 1000 * attempt, cacheWrite: 50, cacheRead: 200, output: 10 * attempt } }))
  }
  const priced = settings({ priceOf: () => ({ input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 }) })
  const timed = <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(effect)
      yield* TestClock.adjust(Duration.minutes(5))
      return yield* Fiber.join(fiber)
    })

  it.effect("the recorded replies answer its first attempts; the model is asked from the next one on, and the result is a fresh run's", () =>
    Effect.gen(function* () {
      const fresh = yield* timed(loop(script(new Set()), spec(), priced))
      expect(fresh.requests).toHaveLength(4) // three attempts, one of them retried
      expect(fresh.replies.map((r) => [r.attempt, r.api_retries, r.request_ms])).toEqual([[1, 0, 2000], [2, 1, 3000], [3, 0, 2000]])

      // As if killed while attempt 3 was in flight: replies 1 and 2 are in the checkpoint.
      const resumed = yield* timed(loop(script(new Set([2])), spec({ recorded: fresh.replies.slice(0, 2) }), priced))
      expect(resumed.requests).toEqual([fresh.requests[3]]) // only attempt 3, and the same request
      expect(resumed.replies.map((r) => r.attempt)).toEqual([3]) // replayed replies are not recorded again
      // Tokens, cost, request time and API retries count as if the replies had just been asked for.
      expect({ ...resumed.result, elapsed_s: null }).toEqual({ ...fresh.result, elapsed_s: null })
      expect(resumed.result).toMatchObject({ final_outcome: "working", attempts_to_success: 3, api_retries: 1, wall_time_s: 7 })
    }))

  it.effect("a run whose recorded replies already reach its end asks the model nothing", () =>
    Effect.gen(function* () {
      const fresh = yield* timed(loop(script(new Set()), spec(), priced))
      const resumed = yield* timed(loop(script(new Set()), spec({ recorded: fresh.replies }), priced))
      expect(resumed.requests).toEqual([])
      expect(resumed.replies).toEqual([])
      expect({ ...resumed.result, elapsed_s: null }).toEqual({ ...fresh.result, elapsed_s: null })
    }))
})

describe("a program the harness could not run", () => {
  it.effect("ends the run in error, yet the reply it paid for stays in the run's tokens and cost", () =>
    Effect.gen(function* () {
      const llm = yield* scriptedLlm((_, n) => Effect.succeed(reply(n === 0 ? "fail:first" : "spawn-error", 10 * (n + 1), 100 * (n + 1))))
      // The second program cannot be started at all (the interpreter vanished): the harness's failure.
      const runner = Layer.succeed(
        ProgramRunner,
        ProgramRunner.make({
          exec: () => Effect.succeed(run()),
          run: ({ source }) =>
            source === "spawn-error" ? Effect.fail(new SpawnError({ command: "python3", message: "spawn python3 ENOENT" })) : Effect.succeed(run({ exitCode: 1, stderr: "first" })),
          release: Effect.void
        })
      )
      const priced = settings({ priceOf: () => ({ input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 }) })
      const result = yield* runClosedLoop(spec(), priced).pipe(Effect.provide(Layer.mergeAll(llm.layer, runner, fixedSkills())))
      expect(result).toMatchObject({ final_outcome: "error", api_error: { kind: "harness", attempt: 2 }, attempts_total: 1 })
      // Both replies were billed: 10 + 20 output, 100 + 200 input, at $1 and $5 a million.
      expect(result).toMatchObject({ generation_tokens: 30, input_tokens: 300, input_cache_miss_tokens: 300, cost_usd: 0.00045 })
    }))
})

describe("time", () => {
  it.effect("wall_time_s is the run's own model and program time; elapsed_s adds its wait for a free model slot", () =>
    Effect.gen(function* () {
      const llm = yield* scriptedLlm(() => Effect.as(Effect.sleep(Duration.seconds(5)), reply("print:55")))
      const runner = scriptedRunner(() => run({ stdout: "55\n", durationMs: 300 }))
      const runs = [spec({ index: 0 }), spec({ index: 1, task: task("t2") })]
      const fiber = yield* Effect.fork(
        runAll(runs, settings(), 2).pipe(
          Effect.provide(Layer.mergeAll(llm.layer, runner, fixedSkills(), RateGateLive({ maxConcurrency: 1, rpm: undefined })))
        )
      )
      yield* TestClock.adjust(Duration.seconds(30))
      const [first, second] = yield* Fiber.join(fiber)
      expect(first!.wall_time_s).toBe(5.3)
      expect(second!.wall_time_s).toBe(5.3)
      // One model slot: the second run waited for the first's request.
      expect(Math.max(first!.elapsed_s!, second!.elapsed_s!)).toBe(10)
    }))
})
