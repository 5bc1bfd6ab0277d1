import { NodeContext } from "@effect/platform-node"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Duration, Effect, Layer, Logger } from "effect"
import { describe, expect, it } from "vitest"
import { counterLayer } from "../src/providers/Anthropic.js"
import { countingCassette, readCassette } from "../src/providers/Cassette.js"
import { make as makeProgramTokens } from "../src/services/ProgramTokens.js"
import { gatedLayer, TokenCounter } from "../src/services/TokenCounter.js"
import * as RateGate from "../src/services/RateGate.js"
import type { CheckpointCount } from "../src/domain/Checkpoint.js"
import { fakeTextTokens, isCountRequest, startFakeAnthropic } from "./support/fakeAnthropic.js"
import { closedAfterEach } from "./support/scriptedServer.js"

const servers = closedAfterEach()

const neverAsked = () => {
  throw new Error("no model request expected")
}

const liveCounter = (url: string) =>
  Effect.map(Layer.build(counterLayer({ apiKey: "test-key", baseUrl: url, timeout: Duration.seconds(10) })), (ctx) => Context.get(ctx, TokenCounter))

const run = <A, E>(effect: Effect.Effect<A, E, any>, logged: Array<string> = []) =>
  Effect.runPromise(
    effect.pipe(
      Effect.scoped,
      Effect.provide(NodeContext.layer),
      Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logged.push(String(message)))))
    ) as Effect.Effect<A, E, never>
  )

describe("--count-tokens anthropic: the token counting endpoint", () => {
  it("counts through the SDK, each distinct text once per model, the framing measured once per model and taken away", async () => {
    const server = await startFakeAnthropic(neverAsked)
    servers.push(server)
    const journal: Array<CheckpointCount> = []
    const program = "main>n;+ 1 2\nprint(\"a longer program\")"
    const counts = await run(
      Effect.gen(function* () {
        const tokens = yield* makeProgramTokens(yield* liveCounter(server.url), { journal: (line) => Effect.sync(() => void journal.push(line)) })
        // The same program three times at once, another model once, and an empty program (never sent).
        const [a, b, c] = yield* Effect.all([tokens.count("claude-haiku-4-5", program), tokens.count("claude-haiku-4-5", program), tokens.count("claude-haiku-4-5", program)], {
          concurrency: "unbounded"
        })
        const other = yield* tokens.count("claude-sonnet-4-5", program)
        const empty = yield* tokens.count("claude-haiku-4-5", "")
        return { a, b, c, other, empty, failures: yield* tokens.failures }
      })
    )
    expect(counts).toEqual({ a: fakeTextTokens(program), b: fakeTextTokens(program), c: fakeTextTokens(program), other: fakeTextTokens(program), empty: 0, failures: 0 })
    const asked = server.requests.filter(isCountRequest)
    // Per model: the program and the framing ("."), once each.
    expect(asked).toHaveLength(4)
    expect(asked.map((r) => r.body.messages[0].content).sort()).toEqual([".", ".", program, program])
    expect(asked[0]!.body).toEqual({ model: expect.any(String), messages: [{ role: "user", content: expect.any(String) }] })
    expect(asked[0]!.headers["authorization"]).toBe("Bearer test-key")
    // The checkpoint gets the endpoint's own counts, framing included.
    expect(journal).toHaveLength(4)
    expect(journal.find((l) => l.model === "claude-sonnet-4-5" && l.tokens > 6)).toMatchObject({ type: "count", tokenizer: "anthropic", tokens: 5 + fakeTextTokens(program) })
  })

  it("does not ask again for a count the checkpoint holds", async () => {
    const server = await startFakeAnthropic(neverAsked)
    servers.push(server)
    const first: Array<CheckpointCount> = []
    await run(
      Effect.gen(function* () {
        const tokens = yield* makeProgramTokens(yield* liveCounter(server.url), { journal: (line) => Effect.sync(() => void first.push(line)) })
        yield* tokens.count("claude-haiku-4-5", "print(1)")
      })
    )
    const before = server.requests.length
    const again = await run(
      Effect.gen(function* () {
        const tokens = yield* makeProgramTokens(yield* liveCounter(server.url), { known: first })
        return yield* tokens.count("claude-haiku-4-5", "print(1)")
      })
    )
    expect(again).toBe(fakeTextTokens("print(1)"))
    expect(server.requests.length).toBe(before)
  })

  it("a count that fails is null, with one warning however many fail, and the failures are counted", async () => {
    const server = await startFakeAnthropic(neverAsked, (request) =>
      request.body.messages[0].content.includes("FAIL") ? { status: 400 } : { tokens: 5 + fakeTextTokens(request.body.messages[0].content) }
    )
    servers.push(server)
    const logged: Array<string> = []
    const result = await run(
      Effect.gen(function* () {
        const tokens = yield* makeProgramTokens(yield* liveCounter(server.url))
        const counts = yield* Effect.all([tokens.count("m", "FAIL one"), tokens.count("m", "FAIL two"), tokens.count("m", "fine")])
        return { counts, failures: yield* tokens.failures }
      }),
      logged
    )
    expect(result).toEqual({ counts: [null, null, fakeTextTokens("fine")], failures: 2 })
    expect(logged.filter((l) => l.includes("--count-tokens anthropic"))).toHaveLength(1)
    expect(logged[0]).toContain("null (\"unknown\")")
  })

  it("a count the endpoint could not make for now (429, 529, 5xx) is asked again under the retry policy, not left unknown", async () => {
    // The framing's count is overloaded once, a program's rate-limited twice: both are known in the end.
    const failing = new Map([[".", 1], ["print(1)", 2]])
    const server = await startFakeAnthropic(neverAsked, (request) => {
      const text = request.body.messages[0].content
      const left = failing.get(text) ?? 0
      if (left > 0) {
        failing.set(text, left - 1)
        return { status: text === "." ? 529 : 429 }
      }
      return { tokens: 5 + fakeTextTokens(text) }
    })
    servers.push(server)
    const retry = { retries: 3, baseDelay: Duration.millis(10), maxDelay: Duration.millis(50) }
    const result = await run(
      Effect.gen(function* () {
        const tokens = yield* makeProgramTokens(yield* liveCounter(server.url), { retry })
        const counts = yield* Effect.all([tokens.count("m", "print(1)"), tokens.count("m", "print(2)")], { concurrency: "unbounded" })
        return { counts, failures: yield* tokens.failures }
      })
    )
    expect(result).toEqual({ counts: [fakeTextTokens("print(1)"), fakeTextTokens("print(2)")], failures: 0 })
    expect(server.requests.filter(isCountRequest)).toHaveLength(3 + 3)
  })

  it("a cassette records each count, and its replay answers the same counts with no endpoint", async () => {
    const server = await startFakeAnthropic(neverAsked, (request) =>
      request.body.messages[0].content === "FAIL" ? { status: 400 } : { tokens: 5 + fakeTextTokens(request.body.messages[0].content) }
    )
    servers.push(server)
    const dir = mkdtempSync(join(tmpdir(), "count-cassette-"))
    const path = join(dir, "run.jsonl")
    writeFileSync(path, "")
    const texts = ["print(1)", "FAIL", "a much longer program text"]
    const recorded = await run(
      Effect.gen(function* () {
        const counter = yield* countingCassette({ provider: "anthropic", recordTo: path }, yield* liveCounter(server.url))
        return yield* Effect.forEach(texts, (t) => Effect.either(counter.count("claude-haiku-4-5", t)))
      })
    )
    const lines = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l))
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatchObject({ type: "count", provider: "anthropic", model: "claude-haiku-4-5", tokens: 5 + fakeTextTokens("print(1)") })
    expect(lines[1]).toMatchObject({ type: "count", tokens: null, error: expect.stringContaining("400") })
    // Texts are kept by hash, not written out.
    expect(readFileSync(path, "utf8")).not.toContain("print(1)")
    const asked = server.requests.length
    const replayed = await run(
      Effect.gen(function* () {
        const cassette = yield* readCassette(path)
        expect(cassette.entries).toHaveLength(0)
        const counter = yield* countingCassette({ provider: "anthropic", replay: cassette }, undefined)
        return {
          counts: yield* Effect.forEach(texts, (t) => Effect.either(counter.count("claude-haiku-4-5", t))),
          missing: yield* Effect.either(counter.count("claude-haiku-4-5", "never recorded"))
        }
      })
    )
    expect(server.requests.length).toBe(asked)
    expect(replayed.counts.map((e) => (e._tag === "Right" ? e.right : null))).toEqual(recorded.map((e) => (e._tag === "Right" ? e.right : null)))
    expect(replayed.missing._tag).toBe("Left")
  })

  it("goes through the rate gate: with one request in flight at most, counts wait their turn", async () => {
    const spans: Array<[string, "start" | "end"]> = []
    const slow = Layer.succeed(
      TokenCounter,
      TokenCounter.of({
        tokenizer: "anthropic",
        count: (_model, text) =>
          Effect.sync(() => void spans.push([text, "start"])).pipe(
            Effect.zipRight(Effect.sleep("50 millis")),
            Effect.zipRight(Effect.sync(() => void spans.push([text, "end"]))),
            Effect.as(text.length)
          )
      })
    )
    const gated = gatedLayer.pipe(Layer.provide(slow), Layer.provide(RateGate.layer({ maxConcurrency: 1 })))
    await run(Effect.flatMap(TokenCounter, (c) => Effect.all([c.count("m", "a"), c.count("m", "bb"), c.count("m", "ccc")], { concurrency: "unbounded" })).pipe(Effect.provide(gated)))
    // Never two at once: each count ends before the next starts.
    expect(spans.map(([, at]) => at)).toEqual(["start", "end", "start", "end", "start", "end"])
  })
})
