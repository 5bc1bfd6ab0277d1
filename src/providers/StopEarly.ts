import { Data, Effect, Layer } from "effect"
import { Llm, type LlmError } from "../services/Llm.js"

/**
 * A model endpoint that cannot answer any run: a key refused, a model it does not know, an
 * address nothing listens at. Every run would end in "error" after its retries, so the benchmark
 * stops at the first sign, with one line saying where to look.
 */
export class EndpointUnusable extends Data.TaggedError("EndpointUnusable")<{
  readonly url: string
  readonly model: string
  /** "HTTP 401", "ECONNREFUSED", ... */
  readonly what: string
  readonly check: string
}> {
  override get message() {
    return `the model API at ${this.url} answered ${this.what} for model ${this.model}; the benchmark stopped at once. Check ${this.check}.`
  }
}

/** Errors of the network that mean "no server there", as Node names them. */
const UNREACHABLE = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EAI_NONAME", "ECONNRESET", "CERT_HAS_EXPIRED", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"]

/** The errno an LlmError's message names (the provider layer puts the cause's code in it). */
export const errnoOf = (message: string) => UNREACHABLE.find((code) => message.includes(code))

/**
 * Why this failure means the endpoint is unusable, or undefined. A 401/403 always does (every
 * request carries the same key); a 404 or an unreachable address only before any request has
 * succeeded (later it is a passing fault, retried as before).
 */
export const unusable = (error: LlmError, succeeded: boolean, url: string, model: string, keyVariable: string): EndpointUnusable | undefined => {
  if (error.status === 401 || error.status === 403)
    return new EndpointUnusable({
      url,
      model,
      what: `HTTP ${error.status} (${error.message.slice(0, 120)})`,
      check: error.status === 401 ? `${keyVariable}: the key is missing, mistyped or revoked` : `${keyVariable}: the key has no access to this model or workspace`
    })
  if (succeeded) return undefined
  if (error.status === 404)
    return new EndpointUnusable({ url, model, what: `HTTP 404 (${error.message.slice(0, 120)})`, check: "--model (the id must be one the provider serves; `bench/models.json` lists aliases) and --base-url" })
  const errno = error.kind === "connection" ? errnoOf(error.message) : undefined
  if (errno !== undefined)
    return new EndpointUnusable({
      url,
      model,
      what: errno,
      check: errno.startsWith("E") && errno !== "ECONNRESET" ? "--base-url (or the *_BASE_URL variable): nothing answers at that address" : "--base-url and the server's TLS set-up"
    })
  return undefined
}

/**
 * The Llm it is given (at the composition root), stopping the whole benchmark (a failure in the
 * error channel, as a replay miss is) at the first failure that says the endpoint is unusable.
 * Sits under the retry schedule: a refused address stops at once instead of after a minute of retries.
 */
export const layer = (url: string, keyVariable: string) =>
  Layer.effect(
    Llm,
    Effect.gen(function* () {
      const inner = yield* Llm
      let succeeded = false
      return Llm.make({
        ...inner,
        complete: (request) =>
          inner.complete(request).pipe(
            Effect.tap(() => Effect.sync(() => void (succeeded = true))),
            Effect.tapErrorTag("LlmError", (error) => {
              const why = unusable(error, succeeded, url, request.model, keyVariable)
              return why === undefined ? Effect.void : Effect.fail(why)
            })
          )
      })
    })
  )
