import { Clock, Context, Deferred, Effect, FiberId, Layer, RateLimiter, Ref } from "effect"
import type { LlmError } from "./Llm.js"

export interface RateGateOptions {
  /** Requests in flight at most (--concurrency); the adaptive limit never goes above it. */
  readonly maxConcurrency: number
  /** Requests started per minute at most (--rpm), if set. */
  readonly rpm?: number | undefined
}

/** What the gate is doing now (for tests and progress). */
export interface GateState {
  readonly limit: number
  readonly inFlight: number
  readonly pausedUntil: number
}

/**
 * One gate per provider in front of every model request. A 429 with retry-after pauses every new
 * request for that long, not only the one that got it; the number of requests in flight halves on
 * 429/529 and grows back by one after each `limit` successes, never above --concurrency; --rpm
 * caps starts per minute.
 */
export class RateGate extends Context.Tag("ilo-bench/RateGate")<
  RateGate,
  {
    readonly call: <A>(request: Effect.Effect<A, LlmError>) => Effect.Effect<A, LlmError>
    readonly state: Effect.Effect<GateState>
  }
>() {}

const pushesBack = (error: LlmError) => error.kind === "rate_limit" || error.kind === "overloaded"

export const makeRateGate = (options: RateGateOptions) =>
  Effect.gen(function* () {
    const max = Math.max(1, Math.floor(options.maxConcurrency))
    // Plain mutable state: fibers take turns on one JS thread, and each change below is one
    // synchronous step, so no two fibers ever see it half-changed.
    let limit = max
    let inFlight = 0
    let streak = 0
    /** Requests waiting for a slot, the longest-waiting first; a freed slot is handed to the first. */
    const waiting: Array<Deferred.Deferred<void>> = []
    const pausedUntil = yield* Ref.make(0)
    const limiter = options.rpm !== undefined ? yield* RateLimiter.make({ limit: options.rpm, interval: "1 minutes" }) : undefined

    /** Hands free slots to waiting requests, in order: exactly as many are woken as there are slots. */
    const handOut = () => {
      while (inFlight < limit && waiting.length > 0) {
        inFlight++
        Deferred.unsafeDone(waiting.shift()!, Effect.void)
      }
    }
    const release = Effect.sync(() => {
      inFlight--
      handOut()
    })
    const acquire = Effect.suspend(() => {
      if (waiting.length === 0 && inFlight < limit) {
        inFlight++
        return Effect.void
      }
      const turn = Deferred.unsafeMake<void>(FiberId.none)
      waiting.push(turn)
      return Deferred.await(turn).pipe(
        Effect.onInterrupt(() =>
          Effect.suspend(() => {
            const at = waiting.indexOf(turn)
            if (at !== -1) {
              waiting.splice(at, 1)
              return Effect.void
            }
            // Handed a slot just as it gave up: pass the slot on.
            return release
          })
        )
      )
    })

    const waitOutPause: Effect.Effect<void> = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const until = yield* Ref.get(pausedUntil)
      if (now >= until) return
      yield* Effect.sleep(until - now)
      yield* waitOutPause
    })

    const onSuccess = Effect.sync(() => {
      streak++
      if (streak >= limit && limit < max) {
        limit++
        streak = 0
        handOut()
      }
    })

    const onFailure = (error: LlmError) =>
      pushesBack(error)
        ? Effect.gen(function* () {
            limit = Math.max(1, Math.floor(limit / 2))
            streak = 0
            if (error.retryAfterMs !== null) {
              const now = yield* Clock.currentTimeMillis
              const until = now + error.retryAfterMs
              yield* Ref.update(pausedUntil, (current) => Math.max(current, until))
            }
          })
        : Effect.void

    const call = <A>(request: Effect.Effect<A, LlmError>) => {
      const limited = limiter ? limiter(request) : request
      const observed = limited.pipe(Effect.tap(() => onSuccess), Effect.tapError(onFailure))
      // The slot is waited for interruptibly and always given back once taken.
      return Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(restore(acquire), restore(Effect.zipRight(waitOutPause, observed)).pipe(Effect.ensuring(release)))
      )
    }

    const state = Effect.map(Ref.get(pausedUntil), (until): GateState => ({ limit, inFlight, pausedUntil: until }))

    return { call, state }
  })

export const RateGateLive = (options: RateGateOptions) => Layer.scoped(RateGate, makeRateGate(options))
