import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Logger } from "effect"
import { callModel, type RetryPolicy } from "../src/loop/Policy.js"
import { layer as AnthropicLlm, toLlmError } from "../src/providers/Anthropic.js"
import { sdkDeadline } from "../src/providers/sdkErrors.js"
import type { LlmError, LlmRequest } from "../src/services/Llm.js"
import { startFakeAnthropic, type Reply } from "./support/fakeAnthropic.js"

const request: LlmRequest = {
  model: "claude-haiku-4-5",
  system: [{ text: "You are terse." }],
  messages: [{ role: "user", content: "Task: print 55" }],
  maxTokens: 1024,
  timeout: Duration.seconds(5)
}
const fast: RetryPolicy = { retries: 3, baseDelay: Duration.millis(20), maxDelay: Duration.seconds(5) }

/** One call through the real SDK against the scripted server, with the loop's timeout and retry policy. */
const call = (script: (n: number) => Reply, req: LlmRequest = request, policy = fast) =>
  Effect.gen(function* () {
    const server = yield* Effect.acquireRelease(
      Effect.promise(() => startFakeAnthropic((_, n) => script(n))),
      (s) => Effect.promise(() => s.close())
    )
    const failures: Array<LlmError> = []
    const started = Date.now()
    const result = yield* callModel(req, policy, (e) => Effect.sync(() => failures.push(e))).pipe(
      Effect.provide(AnthropicLlm({ apiKey: "sk-test-key", baseUrl: server.url })),
      Effect.either
    )
    return { result, failures, requests: server.requests, elapsed: Date.now() - started }
  }).pipe(Effect.scoped)

describe("Anthropic layer (real SDK, loopback server)", () => {
  it.live("sends the seed's request shape and maps usage, cache tokens and stop reason", () =>
    Effect.gen(function* () {
      const { result, requests } = yield* call(() => ({
        text: "print(55)",
        inputTokens: 1200,
        outputTokens: 34,
        cacheWrite: 500,
        cacheRead: 7000,
        stopReason: "max_tokens"
      }))
      expect(requests).toHaveLength(1)
      const sent = requests[0]!
      expect(sent.path).toBe("/v1/messages")
      // SDK 1.x authenticates with a bearer token (older versions sent x-api-key)
      expect(sent.headers["authorization"] ?? `Bearer ${sent.headers["x-api-key"]}`).toBe("Bearer sk-test-key")
      expect(sent.headers["anthropic-version"]).toBeDefined()
      expect(sent.body).toEqual({
        model: "claude-haiku-4-5",
        max_tokens: 1024,
        system: "You are terse.",
        messages: [{ role: "user", content: "Task: print 55" }]
      })
      const reply = Either.getOrThrow(result)
      expect(reply).toMatchObject({
        text: "print(55)",
        usage: { input: 1200, cacheWrite: 500, cacheRead: 7000, output: 34 },
        stopReason: "max_tokens",
        model: "claude-haiku-4-5",
        requestId: "req_0"
      })
    }))

  it.live("a usage object without its token counts (a proxy's {}) is unreported, so its cost is unknown, not $0; null cache fields are 0", () =>
    Effect.gen(function* () {
      const message = (usage: unknown) =>
        JSON.stringify({ id: "m", type: "message", role: "assistant", model: "claude-haiku-4-5", content: [{ type: "text", text: "ok" }], stop_reason: "end_turn", stop_sequence: null, usage })
      const { result } = yield* call(() => ({ status: 200, raw: message({}) }), request, { ...fast, retries: 0 })
      expect(Either.getOrThrow(result).usage).toMatchObject({ input: 0, output: 0, unreported: true })
      const nulls = yield* call(() => ({
        status: 200,
        raw: message({ input_tokens: 40, output_tokens: 7, cache_creation_input_tokens: null, cache_read_input_tokens: null, cache_creation: null })
      }))
      expect(Either.getOrThrow(nulls.result).usage).toEqual({ input: 40, cacheWrite: 0, cacheRead: 0, output: 7, reasoning: 0 })
    }))

  it.live("system blocks with a cache mark go out as content blocks with cache_control", () =>
    Effect.gen(function* () {
      const { requests } = yield* call(() => ({ text: "ok" }), {
        ...request,
        system: [{ text: "rules" }, { text: "docs", cache: true }]
      })
      expect(requests[0]!.body.system).toEqual([
        { type: "text", text: "rules" },
        { type: "text", text: "docs", cache_control: { type: "ephemeral" } }
      ])
    }))

  it.live("a 429 with retry-after waits that long, then succeeds", () =>
    Effect.gen(function* () {
      const { result, failures, requests, elapsed } = yield* call((n) =>
        n === 0 ? { status: 429, headers: { "retry-after": "1" } } : { text: "ok" }
      )
      expect(Either.isRight(result)).toBe(true)
      expect(requests).toHaveLength(2)
      expect(failures[0]).toMatchObject({ kind: "rate_limit", status: 429, retryAfterMs: 1000, requestId: "req_0" })
      expect(elapsed).toBeGreaterThanOrEqual(950)
    }))

  it.live("529 overloaded and 500 are retried", () =>
    Effect.gen(function* () {
      const { result, failures } = yield* call((n) => (n === 0 ? { status: 529 } : n === 1 ? { status: 500 } : { text: "ok" }))
      expect(Either.isRight(result)).toBe(true)
      expect(failures.map((f) => [f.kind, f.status])).toEqual([
        ["overloaded", 529],
        ["server", 500]
      ])
    }))

  it.live("a 200 that is not a message (a proxy's page, an error object, broken JSON) is a server error, retried, not a crash", () =>
    Effect.gen(function* () {
      const { result, failures } = yield* call((n) =>
        n === 0
          ? { status: 200, body: { error: { message: "model not loaded" } } }
          : n === 1
            ? { status: 200, headers: { "content-type": "text/html" }, raw: "<html>oops</html>" }
            : n === 2
              ? { status: 200, headers: { "content-type": "application/json" }, raw: "{not json" }
              : { text: "ok" }
      )
      expect(Either.isRight(result) && result.right.text).toBe("ok")
      expect(failures.map((f) => [f.kind, f.status])).toEqual([
        ["server", null],
        ["server", null],
        ["server", null]
      ])
      expect(failures[0]!.message).toContain("model not loaded")
      expect(failures[1]!.message).toContain("oops")
      expect(failures[2]!.message).toMatch(/^the API's reply is not JSON: /)
    }))

  it.live("after the retries run out the last error is returned with its status and request id", () =>
    Effect.gen(function* () {
      const { result, requests } = yield* call(() => ({ status: 503 }))
      expect(requests).toHaveLength(4)
      const error = Either.getLeft(result)
      expect(error._tag).toBe("Some")
      expect(Either.isLeft(result) && result.left).toMatchObject({ kind: "server", status: 503, requestId: "req_3" })
    }))

  it.live("a key the server quotes back in its error is redacted from the message", () =>
    Effect.gen(function* () {
      process.env.ANTHROPIC_API_KEY = "sk-ant-quoted-secret-42"
      const { result } = yield* call(() => ({ status: 401, body: { type: "error", error: { type: "authentication_error", message: "invalid x-api-key: sk-ant-quoted-secret-42" } } })).pipe(
        Effect.ensuring(Effect.sync(() => delete process.env.ANTHROPIC_API_KEY))
      )
      expect(Either.isLeft(result) && result.left.message).toContain("invalid x-api-key: [redacted]")
      expect(Either.isLeft(result) && result.left.message).not.toContain("quoted-secret")
    }))

  it.live("a 401 is not retried", () =>
    Effect.gen(function* () {
      const { result, requests } = yield* call(() => ({ status: 401 }))
      expect(requests).toHaveLength(1)
      expect(Either.isLeft(result) && (result.left as LlmError).kind).toBe("auth")
    }))

  it.live("a request that hangs hits the request timeout and is asked again", () =>
    Effect.gen(function* () {
      const { result, failures, requests } = yield* call((n) => (n === 0 ? { hang: true } : { text: "ok" }), {
        ...request,
        timeout: Duration.millis(500)
      })
      expect(Either.isRight(result)).toBe(true)
      expect(requests).toHaveLength(2)
      // The SDK's own per-request deadline fired, reported as callModel's timer would have.
      expect(failures[0]).toMatchObject({ kind: "timeout", status: null, message: "no reply within 500ms" })
    }))

  it("the request timeout is the SDK's per-request deadline in whole ms; one longer than a timer can hold sets none", () => {
    expect(sdkDeadline(Duration.millis(1500.2)).options).toEqual({ timeout: 1501 })
    expect(sdkDeadline(Duration.seconds(90)).options).toEqual({ timeout: 90_000 })
    // A Node timer past 2^31-1 ms fires at once: that would time out every request.
    expect(sdkDeadline(Duration.seconds(3_000_000)).options).toEqual({})
    expect(sdkDeadline(Duration.infinity).options).toEqual({})
  })

  it("a connection refused is a retryable connection error", async () => {
    const sdk = await import("@anthropic-ai/sdk")
    const error = toLlmError(sdk, new TypeError("fetch failed"))
    expect(error.kind).toBe("connection")
    expect(error.retryable).toBe(true)
  })
})

describe("the SDK's deprecation notices", () => {
  it.live("are shown once per model, as our warning, not on every request", () =>
    Effect.gen(function* () {
      const server = yield* Effect.acquireRelease(
        Effect.promise(() => startFakeAnthropic(() => ({ text: "ok" }))),
        (s) => Effect.promise(() => s.close())
      )
      const printed: Array<string> = []
      const logged: Array<string> = []
      const consoleWarn = console.warn
      console.warn = (...a: Array<unknown>) => void printed.push(a.join(" "))
      const old = { ...request, model: "claude-sonnet-4-5" }
      yield* Effect.forEach([1, 2, 3], () => callModel(old, fast, () => Effect.void)).pipe(
        Effect.provide(AnthropicLlm({ apiKey: "sk-test-key", baseUrl: server.url })),
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logged.push(String(message))))),
        Effect.ensuring(Effect.sync(() => (console.warn = consoleWarn)))
      )
      expect(server.requests).toHaveLength(3)
      expect(printed).toEqual([])
      expect(logged.filter((l) => l.includes("claude-sonnet-4-5") && l.includes("deprecated"))).toHaveLength(1)
    }).pipe(Effect.scoped))
})
