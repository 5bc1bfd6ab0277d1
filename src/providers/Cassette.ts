import { FileSystem } from "@effect/platform"
import { Clock, Context, Duration, Effect, Either, Layer, Schema } from "effect"
import { CassetteError, CassetteLine, ReplayMiss, type CassetteCount, type CassetteEntry, type CassetteOutcome, type CassetteRequest } from "../domain/Cassette.js"
import { TokenCounter } from "../services/TokenCounter.js"
import { Llm, LlmError, requestTimedOut, type LlmReply, type LlmRequest } from "../services/Llm.js"
import { sha256 } from "../domain/text.js"
import { withoutNonce } from "../loop/Prompts.js"
import { MAX_RECORD_BYTES, readText } from "../platform/readText.js"
import { firstIssue } from "../domain/schemaIssue.js"
import { wholeLines } from "../domain/text.js"

/** The request as the cassette keys it: provider, model, system, messages, max tokens and sampling. */
export const canonicalRequest = (provider: string, request: LlmRequest): CassetteRequest => ({
  provider,
  model: request.model,
  system: request.system.map((block) => ({ text: block.text, cache: block.cache === true })),
  messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
  max_tokens: request.maxTokens,
  temperature: request.temperature ?? null,
  thinking_budget: request.thinkingBudget ?? null
})

/**
 * sha256 of the canonical request's JSON (its fields are always built in the same order). The
 * --cache cold nonce is random per attempt and decides nothing of the reply: left out, or a cold
 * run could never replay.
 */
export const requestKey = (request: CassetteRequest) =>
  sha256(JSON.stringify({ ...request, system: request.system.map((block, i) => (i === 0 ? { ...block, text: withoutNonce(block.text) } : block)) }))

/** A cassette read from disk: its entries in the order they were recorded. */
export interface Cassette {
  readonly path: string
  readonly entries: ReadonlyArray<CassetteEntry>
  /** The token counts it holds (--count-tokens anthropic), in the order they were recorded. */
  readonly counts: ReadonlyArray<CassetteCount>
  /** Bytes up to the last whole line. */
  readonly validBytes: number
}

const decodeLine = Schema.decodeUnknownEither(Schema.parseJson(CassetteLine))

/** "not JSON (why)" for a line that does not parse, else undefined. */
const notJson = (line: string): string | undefined => {
  try {
    JSON.parse(line)
    return undefined
  } catch (e) {
    return `not JSON (${e instanceof Error ? e.message : String(e)})`
  }
}

/**
 * Reads a cassette; every line must be an exchange this program wrote. A last line cut short by a
 * crash while it was written is left out with a warning, as a checkpoint's is.
 */
export const readCassette = (path: string) =>
  Effect.gen(function* () {
    const text = yield* readText(path, (reason) => new CassetteError({ path, reason }), MAX_RECORD_BYTES)
    const { lines, tornLine, validBytes } = wholeLines(text)
    const entries: Array<CassetteEntry> = []
    const counts: Array<CassetteCount> = []
    for (const [index, line] of lines.entries()) {
      if (line.trim() === "") continue
      const decoded = decodeLine(line)
      if (Either.isLeft(decoded))
        return yield* new CassetteError({
          path,
          // As a checkpoint's reader says it: a line that is not JSON at all is named so, not as a schema issue.
          reason: `line ${index + 1} is not a recorded exchange: ${notJson(line) ?? firstIssue(decoded.left)}`
        })
      if ("type" in decoded.right) counts.push(decoded.right)
      else entries.push(decoded.right)
    }
    if (tornLine !== null)
      yield* Effect.logWarning(`cassette ${path}: line ${tornLine} was cut short (a crash while writing it); ignoring it`)
    return { path, entries, counts, validBytes } satisfies Cassette
  })

/** What the cassette itself says about a miss: nothing in it, or only another provider's exchanges. */
const missWhy = (replay: Cassette | undefined, provider: string) => {
  if (replay === undefined || replay.entries.length === 0) return "the cassette holds no exchange"
  const providers = [...new Set(replay.entries.map((e) => e.request.provider))]
  return providers.includes(provider)
    ? undefined
    : `it holds ${providers.join(" and ")} exchanges, and this run asks ${provider}: give --provider ${providers[0]}`
}

/** Makes a cassette ready to be appended to: a torn last line goes, or the next line would join it. */
export const reopenCassette = (path: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const cassette = yield* readCassette(path)
    yield* fs.truncate(path, cassette.validBytes).pipe(Effect.mapError((e) => new CassetteError({ path, reason: e.message })))
    return cassette
  })

/** Creates an empty cassette to record into; an existing file is never overwritten (it holds paid-for replies). */
export const createCassette = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.writeFileString(path, "", { flag: "wx" }).pipe(
      Effect.mapError(
        (e) =>
          new CassetteError({
            path,
            reason:
              e._tag === "SystemError" && e.reason === "AlreadyExists"
                ? "already exists; record into a new file (or replay it with --replay)"
                : e.message
          })
      )
    )
  )

export interface CassetteOptions {
  /** The provider named in every key (the live one's, or the one the replay was recorded with). */
  readonly provider: string
  /** Answers from here first, in recorded order per request and trial. */
  readonly replay?: Cassette | undefined
  /** Where to append every exchange of this run: those that reached the live provider and, when it is not the replayed file, the replayed ones. */
  readonly recordTo?: string | undefined
}

const toOutcome = (reply: LlmReply): CassetteOutcome => ({ _tag: "Reply", ...reply })

const fromOutcome = (outcome: CassetteOutcome, request: LlmRequest): Effect.Effect<LlmReply, LlmError> => {
  switch (outcome._tag) {
    case "Reply": {
      const { _tag, ...reply } = outcome
      return Effect.succeed(reply)
    }
    case "Error": {
      const { _tag, ...error } = outcome
      return Effect.fail(new LlmError(error))
    }
    case "Timeout":
      return Effect.fail(requestTimedOut(request.timeout))
  }
}

/** One writer at a time for every cassette line, model exchanges and token counts alike: lines never interleave. */
const writeLock = Effect.unsafeMakeSemaphore(1)

const appendLine = (path: string, line: CassetteEntry | CassetteCount) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    writeLock.withPermits(1)(fs.writeFileString(path, JSON.stringify(line) + "\n", { flag: "a" })).pipe(
      // A cassette that cannot be written is a broken promise to the user: stop, loudly.
      Effect.orDieWith((e) => new CassetteError({ path, reason: e.message }))
    )
  )

/**
 * The Llm service over a cassette: it replays recorded exchanges, and records what the live
 * provider answers. It wraps any provider, which never learns it is being recorded. A replayed
 * request is found by its key and trial; identical requests within one run (a repair that got
 * the same error twice) come back in the order they were recorded. A replay that lacks a request
 * fails with ReplayMiss: the run cannot reproduce the recording, so it stops. Recording into a file
 * other than the replayed one copies each replayed exchange there as it is used.
 */
const cassetteLayer = <R>(options: CassetteOptions, liveLlm: Effect.Effect<Llm["Type"] | undefined, never, R>) =>
  Layer.effect(
    Llm,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const live = yield* liveLlm
      const queues = new Map<string, Array<CassetteEntry>>()
      for (const entry of options.replay?.entries ?? []) {
        const slot = `${requestKey(entry.request)}#${entry.trial}`
        const queue = queues.get(slot)
        if (queue === undefined) queues.set(slot, [entry])
        else queue.push(entry)
      }
      const copiesReplay = options.recordTo !== undefined && options.replay !== undefined && options.recordTo !== options.replay.path
      const record = (entry: CassetteEntry) =>
        options.recordTo === undefined
          ? Effect.void
          : Effect.provideService(appendLine(options.recordTo, entry), FileSystem.FileSystem, fs)

      return Llm.make({
        provider: live?.provider ?? options.provider,
        // A replayed entry answers at once; a live request keeps the live provider's own deadline.
        timesOut: live?.timesOut,
        complete: (request) =>
          Effect.gen(function* () {
            const label = request.exchange
            const canonical = canonicalRequest(options.provider, request)
            const key = requestKey(canonical)
            const trial = label?.trial ?? 1
            const recorded = queues.get(`${key}#${trial}`)?.shift()
            if (recorded !== undefined) {
              // Recording into another file: it gets the replayed exchanges too, so it alone replays this run.
              if (copiesReplay) yield* record(recorded)
              return yield* fromOutcome(recorded.outcome, request)
            }
            if (live === undefined)
              return yield* Effect.fail(
                new ReplayMiss({
                  path: options.replay?.path ?? "",
                  task: label?.task ?? "?",
                  language: label?.language ?? "?",
                  model: label?.model ?? request.model,
                  trial,
                  attempt: label?.attempt ?? null,
                  why: missWhy(options.replay, options.provider)
                })
              )
            const entry = (outcome: CassetteOutcome): CassetteEntry => ({
              key,
              task: label?.task ?? null,
              language: label?.language ?? null,
              model: label?.model ?? null,
              trial,
              attempt: label?.attempt ?? null,
              request: canonical,
              outcome
            })
            const started = yield* Clock.currentTimeMillis
            return yield* live.complete(request).pipe(
              Effect.tap((reply) => record(entry(toOutcome(reply)))),
              Effect.tapErrorTag("LlmError", (error) =>
                record(
                  entry({
                    _tag: "Error",
                    kind: error.kind,
                    status: error.status,
                    retryAfterMs: error.retryAfterMs,
                    requestId: error.requestId,
                    message: error.message,
                    ...(error.notSent === true ? { notSent: true } : {})
                  })
                )
              ),
              // Interrupted at the request timeout (a provider without a deadline of its own, so the
              // caller's timer fired): record it as a timeout.
              Effect.onInterrupt(() =>
                Effect.flatMap(Clock.currentTimeMillis, (now) =>
                  now - started >= Duration.toMillis(request.timeout) ? record(entry({ _tag: "Timeout" })) : Effect.void
                )
              )
            )
          })
      })
    })
  )

/** The cassette over the live Llm it is given (at the composition root): a request it lacks goes there, and is recorded. */
export const layer = (options: CassetteOptions) => cassetteLayer(options, Llm)

/** A pure replay: no live provider at all (so no key); a request the cassette lacks is a ReplayMiss. */
export const replayLayer = (options: CassetteOptions) => cassetteLayer(options, Effect.succeed(undefined))

/**
 * A token counter over a cassette, as the Llm service is: a count the replayed cassette holds
 * (same provider, model and text) answers at once, its error included; any other goes to the live
 * counter and is recorded. Without a live counter (a replay, no key), a count the cassette lacks
 * fails, and the census says it is unknown.
 */
export const countingCassette = (
  options: Pick<CassetteOptions, "provider" | "replay" | "recordTo">,
  live: Context.Tag.Service<TokenCounter> | undefined
) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const recorded = new Map<string, CassetteCount>()
    for (const count of options.replay?.counts ?? [])
      if (count.provider === options.provider) recorded.set(`${count.model}\n${count.text_sha256}`, count)
    const copiesReplay = options.recordTo !== undefined && options.replay !== undefined && options.recordTo !== options.replay.path
    const record = (line: CassetteCount) =>
      options.recordTo === undefined ? Effect.void : Effect.provideService(appendLine(options.recordTo, line), FileSystem.FileSystem, fs)
    const answer = (count: CassetteCount) =>
      count.tokens !== null
        ? Effect.succeed(count.tokens)
        : Effect.fail(new LlmError({ kind: "request", status: null, retryAfterMs: null, requestId: null, message: count.error ?? "the recorded count failed" }))
    return {
      tokenizer: "anthropic" as const,
      count: (model: string, text: string) =>
        Effect.suspend(() => {
          const text_sha256 = sha256(text)
          const found = recorded.get(`${model}\n${text_sha256}`)
          if (found !== undefined) return Effect.zipRight(copiesReplay ? record(found) : Effect.void, answer(found))
          if (live === undefined)
            return Effect.fail(
              new LlmError({
                kind: "request",
                status: null,
                retryAfterMs: null,
                requestId: null,
                message: `--replay ${options.replay?.path ?? ""} holds no count of this text for model ${model}, and a replay asks no endpoint`
              })
            )
          const line = (tokens: number | null, error?: string): CassetteCount => ({
            type: "count",
            provider: options.provider,
            model,
            text_sha256,
            tokens,
            ...(error !== undefined ? { error } : {})
          })
          return live.count(model, text).pipe(
            Effect.tap((tokens) => record(line(tokens))),
            Effect.tapError((error) => record(line(null, error.message)))
          )
        })
    } satisfies Context.Tag.Service<TokenCounter>
  })

/** The counting cassette over the live counter it is given (at the composition root). */
export const countingLayer = (options: Pick<CassetteOptions, "provider" | "replay" | "recordTo">) =>
  Layer.effect(TokenCounter, Effect.flatMap(TokenCounter, (live) => countingCassette(options, live)))

/** A pure replay's counts: no endpoint, no key; a count the cassette lacks is unknown. */
export const countingReplayLayer = (options: Pick<CassetteOptions, "provider" | "replay" | "recordTo">) =>
  Layer.effect(TokenCounter, countingCassette(options, undefined))
