import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, TestClock } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { runClosedLoop } from "../src/loop/ClosedLoop.js"
import { callModel } from "../src/loop/Policy.js"
import { layer as OpenAiLlm } from "../src/providers/OpenAi.js"
import { LlmError } from "../src/services/Llm.js"
import { abandonedNotes, flakyNotes, resultNotes } from "../src/report/Notes.js"
import { summaryTable } from "../src/report/Summary.js"
import type { ProgramSource } from "../src/services/ProgramRunner.js"
import { apiError, fixedSkills, reply, run, scriptedLlm, scriptedRunner, settings, spec } from "./support/layers.js"
import { result } from "./support/fixtures.js"

/** "print:X" prints X; "flaky:X,Y,..." prints X on its first run, then Y, ... (one program, run again). */
const runner = () => {
  const runs = new Map<string, number>()
  return scriptedRunner(({ source }: ProgramSource) => {
    const n = runs.get(source) ?? 0
    runs.set(source, n + 1)
    if (source.startsWith("print:")) return run({ stdout: source.slice(6) + "\n" })
    if (source.startsWith("flaky:")) {
      const outputs = source.slice(6).split(",")
      const out = outputs[Math.min(n, outputs.length - 1)]!
      return out === "crash" ? run({ exitCode: 134, stderr: "malloc(): unaligned tcache chunk detected" }) : run({ stdout: out + "\n" })
    }
    return run({ exitCode: 1, stderr: `cannot run: ${source}` })
  })
}

const loop = (script: Parameters<typeof scriptedLlm>[0], cfg = settings()) =>
  Effect.gen(function* () {
    const llm = yield* scriptedLlm(script)
    const result = yield* runClosedLoop(spec(), cfg).pipe(Effect.provide(Layer.mergeAll(llm.layer, runner(), fixedSkills())))
    return { result, requests: yield* llm.requests }
  })

describe("--confirm N", () => {
  it.effect("a program that works on its first run but not on every rerun makes the run flaky; its outcome stays the first run's", () =>
    Effect.gen(function* () {
      const { result, requests } = yield* loop(() => Effect.succeed(reply("flaky:55,55,crash")), settings({ confirm: 3 }))
      expect(requests).toHaveLength(1)
      expect(result).toMatchObject({ final_outcome: "working", attempts_total: 1, flaky: true })
      expect(result.attempts[0]!.confirmations).toEqual({ runs: 3, working: 2 })
      expect(flakyNotes([result])[0]).toContain("1 flaky run(s)")
      expect(flakyNotes([result])[0]).toContain("t1/python/haiku: 2 of 3 runs working")
      expect(summaryTable([result], 1)).toContain("1 of them flaky (--confirm): t1/python/haiku.")
    }))

  it.effect("a program that works every time is not flaky; every attempt records its confirmations", () =>
    Effect.gen(function* () {
      const { result } = yield* loop((_, n) => Effect.succeed(reply(n === 0 ? "print:54" : "print:55")), settings({ confirm: 3 }))
      expect(result.flaky).toBe(false)
      expect(result.attempts.map((a) => a.confirmations)).toEqual([
        { runs: 1, working: 0 },
        { runs: 3, working: 3 }
      ])
      expect(summaryTable([result], 1)).not.toContain("flaky")
    }))

  it.effect("by default (1) a program runs once, as the seed ran it", () =>
    Effect.gen(function* () {
      const { result } = yield* loop(() => Effect.succeed(reply("flaky:55,crash")))
      expect(result).toMatchObject({ final_outcome: "working", flaky: false })
      expect(result.attempts[0]!.confirmations).toEqual({ runs: 1, working: 1 })
    }))
})

describe("requests abandoned after sending", () => {
  it.effect("a timeout and a dropped connection are recorded per attempt, with the prompt size sent, and reported as billing unknown", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(
        loop((_, n) =>
          n === 0
            ? Effect.fail(apiError("timeout"))
            : n === 1
              ? Effect.succeed(reply("print:54"))
              : n === 2
                ? Effect.fail(apiError("connection"))
                : n === 3
                  ? Effect.fail(apiError("rate_limit", 429))
                  : Effect.succeed(reply("print:55"))
        )
      )
      yield* TestClock.adjust(Duration.minutes(5))
      const { result } = yield* Fiber.join(fiber)
      expect(result.final_outcome).toBe("working")
      // The 429 was refused, not abandoned: the server said it did not take the request.
      expect(result.abandoned_requests.map((a) => [a.attempt, a.reason])).toEqual([
        [1, "timeout"],
        [2, "connection"]
      ])
      for (const a of result.abandoned_requests) {
        expect(a.prompt_chars).toBeGreaterThan(20)
        expect(a.at).toMatch(/^\d{4}-\d\d-\d\dT/)
      }
      const note = abandonedNotes([result])[0]!
      expect(note).toMatch(/^Billing unknown: 2 model request\(s\) in 1 run\(s\) were abandoned/)
      expect(resultNotes([result], 1024)).toContain(note)
      expect(summaryTable([result], 1)).toContain("2 model request(s) abandoned after sending (timeout, lost connection): billing unknown")
    }))
})

describe("a resumed run", () => {
  it.effect("keeps the abandoned requests its recorded replies carry", () =>
    Effect.gen(function* () {
      const llm = yield* scriptedLlm(() => Effect.succeed(reply("print:55")))
      const abandoned = { attempt: 1, at: "2026-12-01T10:00:00.000Z", reason: "timeout", message: "no reply within 90s", prompt_chars: 1234 }
      const recorded = {
        type: "reply" as const, task: "t1", language: "python", model: "haiku", trial: 1, attempt: 1,
        reply: reply("print:55"), request_ms: 90_000, api_retries: 1, abandoned_requests: [abandoned]
      }
      const result = yield* runClosedLoop(spec({ recorded: [recorded] }), settings()).pipe(
        Effect.provide(Layer.mergeAll(llm.layer, runner(), fixedSkills()))
      )
      expect(yield* llm.requests).toHaveLength(0)
      expect(result).toMatchObject({ final_outcome: "working", api_retries: 1, abandoned_requests: [abandoned] })
    }))
})

describe("a connection never made", () => {
  it.live("is not a request abandoned after sending: the provider says so and the loop records none", () =>
    Effect.gen(function* () {
      // A port nothing listens on: the connection is refused before any byte of the request goes out.
      const server = createServer()
      yield* Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)))
      const { port } = server.address() as AddressInfo
      yield* Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
      const refused = yield* callModel(
        { model: "m", system: [{ text: "s" }], messages: [{ role: "user", content: "Print 55." }], maxTokens: 64, timeout: Duration.seconds(5) },
        { retries: 0, baseDelay: Duration.millis(1), maxDelay: Duration.millis(1) },
        () => Effect.void
      ).pipe(Effect.provide(OpenAiLlm({ baseUrl: `http://127.0.0.1:${port}/v1` })), Effect.flip)
      expect(refused).toMatchObject({ kind: "connection", notSent: true })
    }))

  it.effect("a refused connection before a reply leaves abandoned_requests empty", () =>
    Effect.gen(function* () {
      const notSent = new LlmError({ kind: "connection", status: null, retryAfterMs: null, requestId: null, message: "connect ECONNREFUSED", notSent: true })
      const fiber = yield* Effect.fork(loop((_, n) => (n === 0 ? Effect.fail(notSent) : Effect.succeed(reply("print:55")))))
      yield* TestClock.adjust(Duration.minutes(1))
      const { result } = yield* Fiber.join(fiber)
      expect(result).toMatchObject({ final_outcome: "working", api_retries: 1, abandoned_requests: [] })
    }))
})

describe("reasoning tokens", () => {
  it.effect("a provider that reports no split records null (unknown), never 0, and the notes say so", () =>
    Effect.gen(function* () {
      const { result } = yield* loop(() => Effect.succeed(reply("print:55")))
      expect(result.attempts[0]!.reasoning_tokens).toBeNull()
      expect(result.reasoning_tokens).toBeNull()
      expect(resultNotes([result], 1024).join("\n")).toContain("Reasoning tokens are unknown for 1 run(s)")
    }))

  it.effect("one that does is summed", () =>
    Effect.gen(function* () {
      const { result } = yield* loop((_, n) =>
        Effect.succeed(reply(n === 0 ? "print:54" : "print:55", 10, 100, { usage: { input: 100, cacheWrite: 0, cacheRead: 0, output: 10, reasoning: n + 3 } }))
      )
      expect(result.reasoning_tokens).toBe(7)
    }))
})

describe("a chatty reply", () => {
  it.effect("two fenced blocks and prose: one block runs, the attempt records what was dropped", () =>
    Effect.gen(function* () {
      const text = "The program prints the answer.\n```\n55\n```\nHere it is:\n```python\nprint:55\n```\nDone."
      const { result } = yield* loop(() => Effect.succeed(reply(text)))
      expect(result.final_outcome).toBe("working")
      expect(result.attempts[0]).toMatchObject({ program: "print:55", program_source: "tagged-block", fenced_blocks: 2, unfenced: true })
      expect(result.attempts[0]!.dropped).toBe("The program prints the answer.\n```\n55\n```\nHere it is:\nDone.")
      expect(resultNotes([result], 1024).join("\n")).toContain("1 reply(ies) held more than one program's worth of text")
    }))
})

describe("runs that ended in error", () => {
  it("the notes tell a harness that could not run a program from a model API that gave no reply", () => {
    const base = result("t1", "error")
    const api = { ...base, task: "api", api_error: { attempt: 1, kind: "server", status: 500, request_id: null, message: "scripted 500" } }
    const harness = { ...base, task: "spawn", api_error: { attempt: 2, kind: "harness", status: null, request_id: null, message: "cannot start python3: spawn python3 ENOENT" } }
    const notes = resultNotes([api, harness], 1024).join("\n")
    expect(notes).toContain('1 run(s) ended in "error": the model API gave no reply (429s, 5xx and timeouts were retried first, refusals such as 400 and 401 were not); they say nothing about the language (api/python/haiku: server 500).')
    expect(notes).toContain('1 run(s) ended in "error" because the harness could not run their program (a spawn error, a scratch directory gone, a program host that died twice); no attempt was scored there, and they say nothing about the language (spawn/python/haiku: cannot start python3: spawn python3 ENOENT).')
  })
})
