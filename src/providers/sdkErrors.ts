import { Duration, Effect } from "effect"
import { LlmError, parseRetryAfter, requestTimedOut, type LlmErrorKind, type LlmReply } from "../services/Llm.js"
import { redact, secretValues } from "../platform/secrets.js"
import { timerMillis } from "../platform/timer.js"
import { ResponseTooLarge } from "./nodeFetch.js"

/**
 * An error's text with the environment's keys taken out: a server may quote the key it refused
 * ("Incorrect API key provided: sk-..."), and the message goes to the checkpoint, the cassette,
 * the reports and stderr.
 */
const clean = (message: string) => redact(message, secretValues())

/** What the Anthropic and OpenAI SDKs (generated from one template) both throw. */
export interface SdkErrorClasses {
  readonly APIError: abstract new (...args: never) => {
    readonly status: number | undefined
    readonly headers: { get(name: string): string | null } | undefined
    readonly requestID?: string | null | undefined
    readonly message: string
  }
  readonly APIConnectionTimeoutError: abstract new (...args: never) => Error
}

/** `overloaded` lists the statuses a provider uses for "busy, come back": they also shrink concurrency. */
const kindOfStatus = (status: number, overloaded: ReadonlyArray<number>): LlmErrorKind =>
  status === 429
    ? "rate_limit"
    : overloaded.includes(status)
      ? "overloaded"
      : status === 408
        ? "timeout"
        : status === 401 || status === 403
          ? "auth"
          : status >= 500 || status === 409
            ? "server"
            : "request"

/** The first error code (ECONNREFUSED, ENOTFOUND, ...) along an error's chain of causes. */
const errnoIn = (error: unknown): string | undefined => {
  let e: unknown = error
  for (let depth = 0; depth < 5 && typeof e === "object" && e !== null; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]+$/.test(code)) return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** Maps whatever an SDK threw to an LlmError that keeps status, retry-after and request id. */
export const fromSdkError =
  (sdk: SdkErrorClasses, overloaded: ReadonlyArray<number>) =>
  (error: unknown): LlmError => {
    if (error instanceof sdk.APIConnectionTimeoutError)
      return new LlmError({ kind: "timeout", status: null, retryAfterMs: null, requestId: null, message: clean(error.message) })
    if (error instanceof sdk.APIError && error.status !== undefined) {
      const headers = error.headers
      return new LlmError({
        kind: kindOfStatus(error.status, overloaded),
        status: error.status,
        retryAfterMs: headers ? parseRetryAfter((name) => headers.get(name)) : null,
        requestId: error.requestID ?? null,
        message: clean(error.message)
      })
    }
    // A 200 that says it is JSON and is not: the service's fault, as a body that is no reply is.
    if (error instanceof SyntaxError)
      return new LlmError({ kind: "server", status: null, retryAfterMs: null, requestId: null, message: clean(`the API's reply is not JSON: ${error.message}`) })
    // The SDKs wrap whatever their fetch threw as a "Connection error." with the reason as its cause.
    const cause = error instanceof Error ? error.cause : undefined
    if (cause instanceof ResponseTooLarge)
      return new LlmError({ kind: "server", status: null, retryAfterMs: null, requestId: null, message: cause.message })
    // The SDKs say "Connection error." and keep why in `cause`: the errno names what to check.
    const errno = errnoIn(error)
    const text = error instanceof Error ? error.message : String(error)
    const message = clean(errno !== undefined && !text.includes(errno) ? `${text} (${errno})` : text)
    return new LlmError({ kind: "connection", status: null, retryAfterMs: null, requestId: null, message, notSent: neverConnected(error) })
  }

/** Network errors that mean no connection was made, so no request went out. */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

/** Whether an error (or one it was caused by: the SDKs wrap the network's) says the connection was never made. */
const neverConnected = (error: unknown): boolean => {
  for (let e: unknown = error, depth = 0; typeof e === "object" && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if (NOT_CONNECTED.has(String((e as { code?: unknown }).code))) return true
  return false
}

/**
 * A 200 whose body is not a model reply (an HTML page from a proxy, `{"error": ...}`, no choices):
 * the fault is the service's or whatever stands in front of it, so it is retried as a 5xx is.
 */
export const notAReply = (body: unknown, requestId: string | null) => {
  const text = typeof body === "string" ? body : (JSON.stringify(body) ?? String(body))
  return new LlmError({
    kind: "server",
    status: null,
    retryAfterMs: null,
    requestId,
    message: `the API's reply is not a model response: ${clean(text).replace(/\s+/g, " ").slice(0, 160)}`
  })
}

/** The request id the SDKs attach to a parsed body, when the body is an object. */
export const requestIdOf = (body: unknown): string | null =>
  typeof body === "object" && body !== null ? ((body as { _request_id?: string | null })._request_id ?? null) : null

/** A 200's body as a reply when it has the shape `is` checks (the SDKs hand back whatever came), else notAReply. */
export const asReply =
  <B>(is: (body: unknown) => body is B, toReply: (body: B) => LlmReply) =>
  (body: unknown): Effect.Effect<LlmReply, LlmError> =>
    is(body) ? Effect.succeed(toReply(body)) : Effect.fail(notAReply(body, requestIdOf(body)))

/**
 * The request timeout as an SDK's per-request `timeout` option (whole milliseconds), and what its
 * expiry is reported as: the same error callModel's own timer gives. A timeout longer than a timer
 * can hold (about 24 days) sets none: the client's own limit applies, as it did under Effect's timer.
 */
export const sdkDeadline = (timeout: Duration.Duration) => {
  const ms = timerMillis(Duration.toMillis(timeout))
  return {
    options: ms === null ? {} : { timeout: Math.max(1, Math.ceil(ms)) },
    error: (mapped: LlmError) => (mapped.kind === "timeout" && mapped.status === null ? requestTimedOut(timeout) : mapped)
  }
}

/** What both SDKs take per request: the caller's abort signal and, optionally, a deadline in ms. */
export interface SdkRequestOptions {
  readonly signal: AbortSignal
  readonly timeout?: number
}

/** One SDK request as an Effect: interrupting it aborts the request; the request timeout is its sdkDeadline. */
export const sdkRequest = <A>(
  timeout: Duration.Duration,
  send: (options: SdkRequestOptions) => Promise<A>,
  toError: (error: unknown) => LlmError
): Effect.Effect<A, LlmError> => {
  const deadline = sdkDeadline(timeout)
  return Effect.tryPromise({
    try: (signal) => send({ signal, ...deadline.options }),
    catch: (error) => deadline.error(toError(error))
  })
}

/**
 * A base URL as the SDKs take it: they append the endpoint's path to the URL as written, so a query
 * (`...?api-version=1`) would swallow the path. The query goes to `defaultQuery`, sent with every request.
 */
export const baseUrlOptions = (url: string): { readonly baseURL: string; readonly defaultQuery?: Record<string, string> } => {
  if (!URL.canParse(url) || !/[?#]/.test(url)) return { baseURL: url }
  const parsed = new URL(url)
  const query = Object.fromEntries(parsed.searchParams)
  const baseURL = url.split(/[?#]/)[0]!
  return Object.keys(query).length > 0 ? { baseURL, defaultQuery: query } : { baseURL }
}
