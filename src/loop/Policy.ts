import { Clock, Duration, Effect, Option, Schedule } from "effect"
import { Llm, requestTimedOut, type LlmError, type LlmStop, type LlmReply, type LlmRequest } from "../services/Llm.js"
import { RateGate } from "../services/RateGate.js"

export interface RetryPolicy {
  /** How many times a failed call is asked again before the run gives up with "error". */
  readonly retries: number
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
}

export const defaultRetryPolicy: RetryPolicy = {
  retries: 6,
  baseDelay: Duration.seconds(1),
  maxDelay: Duration.seconds(60)
}

/**
 * Exponential backoff with jitter, capped, bounded, only for faults of the service or the network;
 * a retry-after from the server replaces the computed delay (the server knows best).
 */
export const apiRetrySchedule = <E = never>(policy: RetryPolicy) =>
  Schedule.exponential(policy.baseDelay, 2).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(policy.retries)),
    // Only the API's own failures are retried (a journal's failure, E, is not).
    Schedule.whileInput((error: LlmError | LlmStop | E) => isLlmError(error) && error.retryable),
    Schedule.passthrough,
    Schedule.modifyDelay((error: LlmError | LlmStop | E, delay) =>
      isLlmError(error) && error.retryAfterMs !== null
        ? Duration.min(Duration.millis(error.retryAfterMs), policy.maxDelay)
        : Duration.min(delay, policy.maxDelay)
    )
  )

/** An API failure (the retry policy's business), told apart from a journal's own failure beside it. */
export const isLlmError = (error: unknown): error is LlmError =>
  typeof error === "object" && error !== null && (error as { readonly _tag?: unknown })._tag === "LlmError"

/**
 * One model call under the request timeout and the retry schedule; `onFailure` sees each failure.
 * Each try passes the provider's RateGate when one is provided; the timeout counts only the request
 * itself, not the wait at the gate, and `onRequestMs` is told how long each try took, also without
 * that wait. `beforeSend` runs before each try goes out, past the gate (a wait there sends nothing):
 * the checkpoint notes a request in flight, whose reply an interrupt could lose.
 */
export const callModel = <E = never>(
  request: LlmRequest,
  policy: RetryPolicy,
  onFailure: (error: LlmError) => Effect.Effect<void, E>,
  onRequestMs: (ms: number) => Effect.Effect<void> = () => Effect.void,
  beforeSend: Effect.Effect<void, E> = Effect.void
): Effect.Effect<LlmReply, LlmError | LlmStop | E, Llm> =>
  Effect.all([Llm, Effect.serviceOption(RateGate)]).pipe(Effect.flatMap(([llm, gate]) => {
    const bounded = llm.timesOut === true
      ? llm.complete(request)
      : llm.complete(request).pipe(
          Effect.timeoutFail({
            duration: request.timeout,
            onTimeout: () => requestTimedOut(request.timeout)
          })
        )
    const once = Effect.zipRight(
      beforeSend,
      Effect.flatMap(Clock.currentTimeMillis, (sent) =>
        bounded.pipe(
          // Whole milliseconds, as the live clock gives them (a jittered test clock leaves fractions).
          Effect.ensuring(Effect.flatMap(Clock.currentTimeMillis, (now) => onRequestMs(Math.round(now - sent))))
        )
      )
    )
    const tried = (Option.isSome(gate) ? gate.value.call(once) : once).pipe(
      Effect.tapError((error) => (isLlmError(error) ? onFailure(error) : Effect.void))
    )
    return Effect.retry(tried, apiRetrySchedule<E>(policy))
  }))
