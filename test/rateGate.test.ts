import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Ref, TestClock } from "effect"
import { afterEach } from "vitest"
import { make as makeRateGate } from "../src/services/RateGate.js"
import { expectedOf, scratch } from "./support/bench.js"
import { startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"
import { apiError } from "./support/layers.js"


/** A gate of one slot, held by a request that finishes once `go` is completed. */
const gateOfOneHeld = Effect.gen(function* () {
  const gate = yield* makeRateGate({ maxConcurrency: 1 })
  const go = yield* Deferred.make<void>()
  const holder = yield* Effect.fork(gate.call(Deferred.await(go)))
  yield* Effect.yieldNow()
  return { gate, go, holder }
})

describe("rate gate", () => {
  it.scoped("a 429 with retry-after pauses every new request to the provider, not only the one that got it", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate({ maxConcurrency: 4 })
      yield* gate.call(Effect.fail(apiError("rate_limit", 429, 2000))).pipe(Effect.ignore)
      const started = yield* Ref.make<number | null>(null)
      const other = yield* Effect.fork(gate.call(Effect.flatMap(TestClock.currentTimeMillis, (t) => Ref.set(started, t))))
      yield* TestClock.adjust(Duration.millis(1999))
      expect(yield* Ref.get(started)).toBeNull()
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.join(other)
      expect(yield* Ref.get(started)).toBe(2000)
    }))

  it.scoped("a retry-after of an hour pauses the gate only as long as the retry policy would wait (60 s)", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate({ maxConcurrency: 4 })
      yield* gate.call(Effect.fail(apiError("rate_limit", 429, 3_600_000))).pipe(Effect.ignore)
      expect((yield* gate.state).pausedUntil).toBe(60_000)
      const other = yield* Effect.fork(gate.call(TestClock.currentTimeMillis))
      yield* TestClock.adjust(Duration.seconds(60))
      expect(yield* Fiber.join(other)).toBe(60_000)
    }))

  it.scoped("concurrency halves on 429/529 and grows back on success, never above --concurrency", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate({ maxConcurrency: 8 })
      const limit = gate.state.pipe(Effect.map((s) => s.limit))
      expect(yield* limit).toBe(8)
      yield* gate.call(Effect.fail(apiError("rate_limit", 429))).pipe(Effect.ignore)
      expect(yield* limit).toBe(4)
      yield* gate.call(Effect.fail(apiError("overloaded", 529))).pipe(Effect.ignore)
      expect(yield* limit).toBe(2)
      yield* gate.call(Effect.fail(apiError("server", 500))).pipe(Effect.ignore)
      expect(yield* limit).toBe(2) // a plain server error says nothing about load
      for (let i = 0; i < 100; i++) yield* gate.call(Effect.void)
      expect(yield* limit).toBe(8)
    }))

  it.scoped("no more requests are in flight than the current limit", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate({ maxConcurrency: 3 })
      const release = yield* Deferred.make<void>()
      const peak = yield* Ref.make(0)
      const fibers = yield* Effect.forEach(Array.from({ length: 10 }), () =>
        Effect.fork(
          gate.call(
            Effect.gen(function* () {
              const s = yield* gate.state
              yield* Ref.update(peak, (p) => Math.max(p, s.inFlight))
              yield* Deferred.await(release)
            })
          )
        )
      )
      yield* Effect.yieldNow()
      expect((yield* gate.state).inFlight).toBe(3)
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.joinAll(fibers)
      expect(yield* Ref.get(peak)).toBe(3)
    }))

  it.scoped("waiting requests start in the order they came, one per freed slot; a late one never goes first", () =>
    Effect.gen(function* () {
      const { gate, go, holder } = yield* gateOfOneHeld
      const order: Array<number> = []
      const step = yield* Deferred.make<void>()
      // 200 requests queue up behind the one in flight; the first of them waits for `step` once it runs.
      const waiters = yield* Effect.forEach(Array.from({ length: 200 }, (_, i) => i), (i) =>
        Effect.fork(gate.call(Effect.sync(() => void order.push(i)).pipe(Effect.zipRight(i === 0 ? Deferred.await(step) : Effect.void))))
      )
      yield* Effect.yieldNow()
      expect(yield* gate.state).toMatchObject({ inFlight: 1, limit: 1 })
      yield* Deferred.succeed(go, undefined)
      const late = yield* Effect.fork(gate.call(Effect.sync(() => void order.push(-1))))
      yield* Fiber.join(holder)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      // The freed slot went to the request that waited longest, and only to it.
      expect(order).toEqual([0])
      expect((yield* gate.state).inFlight).toBe(1)
      yield* Deferred.succeed(step, undefined)
      yield* Fiber.joinAll([...waiters, late])
      expect(order).toEqual([...Array.from({ length: 200 }, (_, i) => i), -1])
      expect((yield* gate.state).inFlight).toBe(0)
    }))

  it.scoped("a waiting request that is interrupted, even as a slot is handed to it, leaves the slot to the next", () =>
    Effect.gen(function* () {
      const { gate, go, holder } = yield* gateOfOneHeld
      const ran: Array<string> = []
      const [a, b, c] = yield* Effect.forEach(["a", "b", "c"], (name) => Effect.fork(gate.call(Effect.sync(() => void ran.push(name)))))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(b!) // gave up while waiting
      yield* Deferred.succeed(go, undefined)
      yield* Effect.yieldNow() // the holder finishes and hands its slot to a
      yield* Fiber.interrupt(a!) // a gives up before it could use it
      yield* Fiber.joinAll([holder, c!])
      expect(ran).toEqual(["c"])
      expect((yield* gate.state).inFlight).toBe(0)
    }))

  it.scoped("--rpm caps how many requests start in a minute", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate({ maxConcurrency: 10, rpm: 2 })
      const count = yield* Ref.make(0)
      const fibers = yield* Effect.forEach(Array.from({ length: 3 }), () => Effect.fork(gate.call(Ref.update(count, (n) => n + 1))))
      yield* TestClock.adjust(Duration.seconds(1))
      expect(yield* Ref.get(count)).toBe(2)
      yield* TestClock.adjust(Duration.minutes(1))
      yield* Fiber.joinAll(fibers)
      expect(yield* Ref.get(count)).toBe(3)
    }))
})

let server: FakeServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe("a 429 storm", () => {
  it.live("slows the harness down instead of failing runs", () =>
    Effect.promise(async () => {
      // The first wave of requests all get 429 with retry-after 1s; everything after succeeds.
      server = await startFakeAnthropic((request, n) =>
        n < 4
          ? { status: 429, headers: { "retry-after": "1" }, body: { type: "error", error: { type: "rate_limit_error", message: "slow down" } }, delayMs: 50 }
          : { text: `echo ${expectedOf(request.body)}` }
      )
      const s = scratch(Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, expected: String(i) })))
      const result = await s.run(server.url, ["--concurrency", "4", "--program-concurrency", "2"])
      expect(result.code).toBe(0)
      const report = s.report()
      expect(report.results.map((r: any) => r.final_outcome)).toEqual(Array(8).fill("working"))
      expect(report.results.reduce((n: number, r: any) => n + r.api_retries, 0)).toBe(4)
      // Nothing after the storm was sent before the retry-after of the first 429 had passed.
      const firstAnswered = Math.min(...server.requests.slice(0, 4).map((r) => r.at)) + 50
      const later = server.requests.slice(4).map((r) => r.at)
      expect(Math.min(...later)).toBeGreaterThanOrEqual(firstAnswered + 950)
    }))
})
