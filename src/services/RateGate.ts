import { Clock, Context, Effect, Layer, RateLimiter, Ref, STM, TRef } from "effect"
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
    const limit = yield* TRef.make(max)
    const inFlight = yield* TRef.make(0)
    const streak = yield* TRef.make(0)
    const pausedUntil = yield* Ref.make(0)
    const limiter = options.rpm !== undefined ? yield* RateLimiter.make({ limit: options.rpm, interval: "1 minutes" }) : undefined

    const acquire = STM.gen(function* () {
      const n = yield* TRef.get(inFlight)
      const l = yield* TRef.get(limit)
      yield* STM.check(() => n < l)
      yield* TRef.set(inFlight, n + 1)
    }).pipe(STM.commit)
    const release = STM.commit(TRef.update(inFlight, (n) => n - 1))

    const waitOutPause: Effect.Effect<void> = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const until = yield* Ref.get(pausedUntil)
      if (now >= until) return
      yield* Effect.sleep(until - now)
      yield* waitOutPause
    })

    const onSuccess = STM.commit(
      STM.gen(function* () {
        const l = yield* TRef.get(limit)
        const s = (yield* TRef.get(streak)) + 1
        if (s >= l && l < max) {
          yield* TRef.set(limit, l + 1)
          yield* TRef.set(streak, 0)
        } else yield* TRef.set(streak, s)
      })
    )

    const onFailure = (error: LlmError) =>
      pushesBack(error)
        ? Effect.gen(function* () {
            yield* STM.commit(
              TRef.update(limit, (l) => Math.max(1, Math.floor(l / 2))).pipe(STM.zipRight(TRef.set(streak, 0)))
            )
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
      // The slot is taken interruptibly and always given back once taken.
      return Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(restore(acquire), restore(Effect.zipRight(waitOutPause, observed)).pipe(Effect.ensuring(release)))
      )
    }

    const state = Effect.all({
      limit: TRef.get(limit).pipe(STM.commit),
      inFlight: TRef.get(inFlight).pipe(STM.commit),
      pausedUntil: Ref.get(pausedUntil)
    })

    return { call, state }
  })

export const RateGateLive = (options: RateGateOptions) => Layer.scoped(RateGate, makeRateGate(options))
