import { Clock, Context, Duration, Effect, Layer, RateLimiter, Ref } from "effect"
import { LlmError } from "./Llm.js"

export interface RateGateOptions {
  /** Requests in flight at most (--concurrency); the adaptive limit never goes above it. */
  readonly maxConcurrency: number
  /** Requests started per minute at most (--rpm), if set. */
  readonly rpm?: number | undefined
  /**
   * The longest pause a retry-after may impose (default 60 s, the retry policy's longest delay): a
   * server's `retry-after: 3600` would otherwise stall every request of the benchmark for an hour.
   */
  readonly maxPause?: Duration.Duration | undefined
}

export const DEFAULT_MAX_PAUSE = Duration.seconds(60)

/** What the gate is doing now (for tests and progress). */
export interface GateState {
  readonly limit: number
  readonly inFlight: number
  readonly pausedUntil: number
}

/**
 * One gate per provider in front of every model request. A 429 with retry-after pauses every new
 * request for that long (at most `maxPause`), not only the one that got it; the number of requests in flight halves on
 * 429/529 and grows back by one after each `limit` successes, never above --concurrency; --rpm
 * caps starts per minute.
 */
export class RateGate extends Context.Tag("ilo-bench/RateGate")<
  RateGate,
  {
    readonly call: <A, E>(request: Effect.Effect<A, E>) => Effect.Effect<A, E>
    readonly state: Effect.Effect<GateState>
  }
>() {}

const pushesBack = (error: LlmError) => error.kind === "rate_limit" || error.kind === "overloaded"

export const make = (options: RateGateOptions) =>
  Effect.gen(function* () {
    const max = Math.max(1, Math.floor(options.maxConcurrency))
    const maxPauseMs = Duration.toMillis(options.maxPause ?? DEFAULT_MAX_PAUSE)
    const slots = yield* Effect.makeSemaphore(max)
    // Effect's semaphore lets a request that just arrived take a freed slot before those waiting
    // for it; behind a one-at-a-time turnstile, only the oldest waiter is ever waiting for a slot.
    const turnstile = yield* Effect.makeSemaphore(1)
    // Plain numbers: fibers take turns on one thread, and each change below is one synchronous step.
    let limit = max
    let inFlight = 0
    let streak = 0
    const setLimit = (n: number) => {
      limit = Math.max(1, Math.floor(n))
      return slots.resize(limit)
    }
    const pausedUntil = yield* Ref.make(0)
    const limiter = options.rpm !== undefined ? yield* RateLimiter.make({ limit: options.rpm, interval: "1 minutes" }) : undefined

    const waitOutPause: Effect.Effect<void> = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const until = yield* Ref.get(pausedUntil)
      if (now >= until) return
      yield* Effect.sleep(until - now)
      yield* waitOutPause
    })

    const onSuccess = Effect.suspend(() => {
      streak++
      if (streak < limit || limit >= max) return Effect.void
      streak = 0
      return setLimit(limit + 1)
    })

    const onFailure = (error: unknown) =>
      error instanceof LlmError && pushesBack(error)
        ? Effect.gen(function* () {
            yield* setLimit(limit / 2)
            streak = 0
            if (error.retryAfterMs !== null) {
              const now = yield* Clock.currentTimeMillis
              const until = now + Math.min(error.retryAfterMs, maxPauseMs)
              yield* Ref.update(pausedUntil, (current) => Math.max(current, until))
            }
          })
        : Effect.void

    const call = <A, E>(request: Effect.Effect<A, E>) => {
      const limited = limiter ? limiter(request) : request
      const observed = limited.pipe(Effect.tap(() => onSuccess), Effect.tapError(onFailure))
      const counted = Effect.acquireUseRelease(
        Effect.sync(() => inFlight++),
        () => Effect.zipRight(waitOutPause, observed),
        () => Effect.sync(() => inFlight--)
      )
      return Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(
          restore(turnstile.withPermits(1)(slots.take(1))),
          Effect.ensuring(restore(counted), slots.release(1))
        )
      )
    }

    const state = Effect.map(Ref.get(pausedUntil), (until): GateState => ({ limit, inFlight, pausedUntil: until }))

    return { call, state }
  })

export const layer = (options: RateGateOptions) => Layer.scoped(RateGate, make(options))
