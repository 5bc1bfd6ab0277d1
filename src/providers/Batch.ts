import { Clock, Data, DateTime, Deferred, type Duration, Effect, Either, Exit, FiberId, FiberSet, Layer, Schedule } from "effect"
import type { CheckpointBatch, CheckpointBatchSubmitting } from "../domain/Checkpoint.js"
import { sha256 } from "../domain/text.js"
import { Llm, LlmError, type LlmReply, type LlmRequest } from "../services/Llm.js"
import { Waves, type WaveCounts } from "../services/Waves.js"
import { canonicalRequest, requestKey } from "./Cassette.js"

/** One request of a batch: its custom_id and the request as the interactive mode would send it. */
export interface BatchRequest {
  readonly customId: string
  readonly request: LlmRequest
}

/** A batch as the provider last reported it. */
export interface BatchState {
  readonly id: string
  readonly ended: boolean
  /** Someone canceled it (ilo-bench never does): in the Console, or through the API. */
  readonly canceled: boolean
  readonly counts: WaveCounts
}

/**
 * A batch of this session canceled outside ilo-bench: whoever canceled it wanted the spending to
 * stop, so its unprocessed requests are not submitted again and the benchmark stops (a resume,
 * asked for, submits them again).
 */
export class BatchCanceled extends Data.TaggedError("BatchCanceled")<{ readonly id: string; readonly unanswered: number }> {
  override get message() {
    return `batch ${this.id} was canceled outside ilo-bench: ${this.unanswered} of its requests got no reply and were not submitted again; the benchmark stopped (a resume submits them again)`
  }
}

/** One request's result: its reply, or why there is none (an error, an expiry), as an LlmError. */
export interface BatchResult {
  readonly customId: string
  readonly outcome: Either.Either<LlmReply, LlmError>
}

/** A batch as the provider's list of batches shows it. */
export interface ListedBatch {
  readonly id: string
  readonly createdAt: Date
  /** How many requests it holds, when the provider says (OpenAI's says 0 while it validates the file). */
  readonly requests: number | undefined
  /** Whether it has ended (its results can be read now), when the list says. */
  readonly ended?: boolean | undefined
  /** The tag it was created with (`submit`'s), where the provider keeps one (OpenAI's metadata); absent: none, or not kept. */
  readonly tag?: string | undefined
}

/** A provider's batch API, reduced to what waves need (providers/AnthropicBatch.ts is one). */
export interface BatchApi {
  readonly provider: string
  /**
   * Creates a batch of `requests`. `tag` (the digest of their custom_ids) goes with it where the
   * provider keeps something of the caller's on a batch and shows it in its list (OpenAI's
   * metadata): a batch whose create call was cut off is then known by its tag alone.
   */
  readonly submit: (requests: ReadonlyArray<BatchRequest>, tag: string) => Effect.Effect<BatchState, LlmError>
  readonly status: (id: string) => Effect.Effect<BatchState, LlmError>
  readonly results: (id: string) => Effect.Effect<ReadonlyArray<BatchResult>, LlmError>
  /**
   * The batches created from `since` to `until`, to find one whose creation an earlier session
   * asked for but never heard back from. Absent for a provider whose API cannot list its batches.
   */
  readonly list?: ((since: Date, until: Date) => Effect.Effect<ReadonlyArray<ListedBatch>, LlmError>) | undefined
}

/** How far around a "submitting" line's time a batch it asked for is looked for: clocks differ, and a large upload takes minutes. */
const LOST_BEFORE_MS = 2 * 60 * 1000
const LOST_AFTER_MS = 15 * 60 * 1000

export interface BatchOptions {
  /** How long between two looks at a batch that has not ended (--batch-poll). */
  readonly poll: Duration.Duration
  /** Most requests in one batch, and most bytes of their prompts (the provider's limits, with room to spare). */
  readonly maxRequests?: number | undefined
  readonly maxBytes?: number | undefined
}

/**
 * A request's custom_id: a digest of the request as the cassette keys it and of the exchange it
 * is (task, language, model, trial, attempt), so that the same request of the same run has the
 * same id in every session, and a resume finds it in the batch an earlier session submitted.
 * 64 hex digits: within the ^[a-zA-Z0-9_-]{1,64}$ the API allows.
 */
export const customIdOf = (provider: string, request: LlmRequest) => {
  const label = request.exchange
  return sha256(
    JSON.stringify([
      requestKey(canonicalRequest(provider, request)),
      label?.task ?? null,
      label?.language ?? null,
      label?.model ?? null,
      label?.trial ?? null,
      label?.attempt ?? null
    ])
  )
}

/** What a "batch" or "refused" line names its "submitting" line by: a digest of that line's custom_ids. */
export const customIdsDigest = (customIds: ReadonlyArray<string>) => sha256(JSON.stringify(customIds))

/** A batch a checkpoint records, with its requests' custom_ids. */
export interface RecordedBatch {
  readonly id: string
  readonly provider: string
  readonly customIds: ReadonlyArray<string>
}

/**
 * What a checkpoint's batch lines say: the batches recorded, each with its requests (read from
 * its "submitting" line, or from the batch line itself if an earlier ilo-bench wrote them there),
 * and the "submitting" lines whose create call may have made a batch nobody heard of: answered by
 * no "batch" line and no "refused" one (a batch line or a refusal answers the last "submitting"
 * line before it with its digest still unanswered).
 */
export const readBatchLines = (recorded: ReadonlyArray<CheckpointBatch>) => {
  const batches: Array<RecordedBatch> = []
  const submitting: Array<CheckpointBatchSubmitting> = []
  const open = new Map<string, Array<CheckpointBatchSubmitting>>()
  const answered = new Set<CheckpointBatchSubmitting>()
  const answer = (digest: string | undefined) => {
    const lines = digest === undefined ? undefined : open.get(digest)
    const line = lines?.pop()
    if (line !== undefined) answered.add(line)
    return line
  }
  for (const line of recorded) {
    if (line.type === "submitting") {
      submitting.push(line)
      const digest = customIdsDigest(line.custom_ids)
      open.set(digest, [...(open.get(digest) ?? []), line])
    } else if (line.type === "refused") answer(line.custom_ids_sha256)
    else batches.push({ id: line.id, provider: line.provider, customIds: line.custom_ids ?? answer(line.custom_ids_sha256)?.custom_ids ?? [] })
  }
  // An earlier ilo-bench's batch lines named their requests: its "submitting" lines are answered by those.
  const named = new Set(recorded.flatMap((b) => (b.type === "batch" && b.custom_ids !== undefined ? b.custom_ids : [])))
  const unanswered = submitting.filter((line) => !answered.has(line) && !line.custom_ids.every((c) => named.has(c)))
  return { batches, unanswered }
}

/**
 * Whether the provider's answer to a create call proves it made no batch: a refusal (4xx) other
 * than a timeout, Anthropic's "overloaded" (529, turned away at the door), or a call that never
 * left. A 5xx may come from a gateway after the service took the batch; no answer at all (a
 * timeout, a dropped connection, a body that is no batch) says nothing either.
 */
export const madeNoBatch = (error: LlmError) =>
  error.notSent === true || (error.status !== null && ((error.status >= 400 && error.status < 500 && error.status !== 408) || error.status === 529))

const noCounts: WaveCounts = { processing: 0, succeeded: 0, errored: 0, expired: 0, canceled: 0 }

const sumCounts = (states: Iterable<WaveCounts>): WaveCounts => {
  const total = { ...noCounts }
  for (const c of states)
    for (const k of Object.keys(total) as Array<keyof WaveCounts>) total[k] += c[k]
  return total
}

/** A batch's request or result that went missing: retried as a fault of the service. */
const missing = (message: string) => new LlmError({ kind: "server", status: null, retryAfterMs: null, requestId: null, message })

/** Prompt characters of a request: what decides how many go in one batch, under its size limit. */
const sizeOf = (request: LlmRequest) =>
  request.system.reduce((n, b) => n + b.text.length, 0) + request.messages.reduce((n, m) => n + m.content.length, 0) + 512

/** `items` in batches of at most `maxRequests` requests and `maxBytes` bytes of prompt. */
const chunked = <A extends { readonly request: LlmRequest }>(items: ReadonlyArray<A>, maxRequests: number, maxBytes: number) => {
  const chunks: Array<Array<A>> = []
  let current: Array<A> = []
  let bytes = 0
  for (const item of items) {
    const size = sizeOf(item.request) * 3 // UTF-8 and JSON escaping, at worst
    if (current.length > 0 && (current.length >= maxRequests || bytes + size > maxBytes)) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(item)
    bytes += size
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

interface Waiting {
  readonly customId: string
  readonly request: LlmRequest
  readonly reply: Deferred.Deferred<LlmReply, LlmError | BatchCanceled>
  /** Its run was interrupted: not submitted any more. */
  gone?: boolean
  /** Done once the batch it is being submitted in is created and checkpointed (or refused). */
  submitting?: Deferred.Deferred<void>
}

/**
 * The Llm service in batch mode: every request waits in a queue; once every open run waits on the
 * model (Waves counts the runs), the queue goes to the provider as one wave of Message Batches.
 * Each batch is in the checkpoint before it is polled (every --batch-poll); when it has ended, its
 * results answer their requests. A request that errored or expired inside a batch fails with an
 * LlmError of its kind, so the loop's retry policy asks again, and it goes in the next wave alone
 * with the others that need asking. A request an earlier session submitted (the checkpoint names
 * its custom_id) is answered from that batch, not submitted again.
 *
 * The requests are exactly the interactive mode's: the closed loop builds them; this layer only
 * decides when they go. It has no deadline per request: a batch takes as long as it takes (the
 * provider expires what it has not done in 24 hours).
 */
export const layer = <R>(makeApi: Effect.Effect<BatchApi, never, R>, options: BatchOptions) =>
  Layer.scoped(
    Llm,
    Effect.gen(function* () {
      const api = yield* makeApi
      const waves = yield* Waves
      const run = yield* FiberSet.makeRuntime<never, void, never>()
      const maxRequests = options.maxRequests ?? 50_000
      const maxBytes = options.maxBytes ?? 200 * 1024 * 1024
      // Plain state: fibers take turns on one thread, and each change below is one synchronous step.
      let queued: Array<Waiting> = []
      let inFlight = false
      let wave = 0
      /** custom_id -> the batch an earlier session submitted it in (each used once: a retry submits anew). */
      let submittedBefore: Map<string, string> | undefined
      const answeredFrom = () => (submittedBefore ??= new Map(earlier().batches.flatMap((b) => b.customIds.map((c) => [c, b.id] as const))))
      let linesBefore: ReturnType<typeof readBatchLines> | undefined
      /** What the checkpoint's batch lines said when this session began. */
      const earlier = () => (linesBefore ??= readBatchLines(journal()?.recorded ?? []))

      const journal = () => waves.journal()
      const now = Effect.map(DateTime.now, DateTime.formatIso)

      /**
       * Batches an earlier session asked the provider to create and never recorded with their id (it
       * ended during the create call: a kill, a crash, a second Ctrl-C): a "submitting" line that no
       * "batch" line covers. Each is looked for once, when a wave holds one of its requests.
       */
      let lost: Array<CheckpointBatchSubmitting> | undefined
      const lostBefore = () => (lost ??= earlier().unanswered.filter((b) => b.provider === api.provider))
      /** The results of a lost batch, read to tell it apart, kept for its requests (a large batch's results are read once). */
      const readWhenFound = new Map<string, ReadonlyArray<BatchResult>>()
      /** Batches this session created or took as found. */
      const ours = new Set<string>()
      /** Batch ids a line, this session or an adoption already claims: not another session's lost batch. */
      const claimed = () => new Set([...earlier().batches.map((b) => b.id), ...ours])
      let warnedLost = false

      /** Asks the provider until it answers; a fault of the network or the service is asked again at the poll's pace. */
      const patiently = <A>(ask: Effect.Effect<A, LlmError>) =>
        ask.pipe(Effect.retry({ schedule: Schedule.spaced(options.poll), while: (e) => e.retryable, times: 20 }))

      /** One batch, submitted or found in the checkpoint: polled until it has ended, then its results answer their requests. */
      /**
       * Requests an earlier session's batch has no reply for (an error, an expiry, results no longer
       * kept): that answer is old news (a run that ended in "error" on it is being run again,
       * --retry-errors), and nothing was billed for it, so they go in the next wave, asked anew.
       */
      const askAnew = (items: ReadonlyArray<Waiting>) => {
        for (const item of items) if (item.gone !== true) queued.push(item)
      }

      const follow = (id: string, items: ReadonlyArray<Waiting>, states: Map<string, BatchState>, report: Effect.Effect<void>, fromEarlier = false) =>
        Effect.gen(function* () {
          const poll = Effect.flatMap(patiently(api.status(id)), (state) =>
            Effect.sync(() => void states.set(id, state)).pipe(Effect.zipRight(report), Effect.as(state.ended))
          )
          // A lost batch the search read to the end is not read again.
          const read = readWhenFound.get(id)
          readWhenFound.delete(id)
          if (read === undefined) yield* poll.pipe(Effect.repeat({ schedule: Schedule.spaced(options.poll), until: (ended) => ended }))
          else {
            const succeeded = read.filter((r) => Either.isRight(r.outcome)).length
            states.set(id, { id, ended: true, canceled: false, counts: { ...noCounts, succeeded, errored: read.length - succeeded } })
            yield* report
          }
          const results = read ?? (yield* patiently(api.results(id)))
          const byId = new Map(results.map((r) => [r.customId, r.outcome]))
          // This session's batch, canceled by someone else: nothing of it is asked again (a resume's is: the resume asks for it).
          const canceled = !fromEarlier && states.get(id)?.canceled === true
          const unanswered = items.filter((i) => byId.get(i.customId)?._tag !== "Right").length
          const stop = canceled ? new BatchCanceled({ id, unanswered }) : undefined
          // Answered together, in one synchronous step: no run goes on before the batch's others have their replies.
          for (const item of items) {
            const outcome = byId.get(item.customId) ?? Either.left(missing(`batch ${id} has no result for request ${item.customId}`))
            if (fromEarlier && Either.isLeft(outcome)) {
              askAnew([item])
              continue
            }
            Deferred.unsafeDone(
              item.reply,
              Either.isRight(outcome) ? Effect.succeed({ ...outcome.right, batchId: id }) : Effect.fail(stop ?? outcome.left)
            )
          }
        }).pipe(
          Effect.catchAll((error) =>
            Effect.sync(() => {
              // The batch could not be polled or read (the network down longer than the poll's patience):
              // it is still there, and billed. A retry of its requests follows it again instead of paying twice.
              if (error.retryable) for (const item of items) answeredFrom().set(item.customId, id)
              // An earlier session's batch that cannot be read at all (gone, its results no longer kept): asked anew.
              else if (fromEarlier) return askAnew(items)
              items.forEach((item) => Deferred.unsafeDone(item.reply, Effect.fail(error)))
            })
          )
        )

      /** A batch polled until it has ended (as a recorded one is), then its results. */
      const settled = (id: string) =>
        patiently(api.status(id)).pipe(
          Effect.repeat({ schedule: Schedule.spaced(options.poll), until: (state) => state.ended }),
          Effect.zipRight(patiently(api.results(id)))
        )

      /**
       * The batch a "submitting" line asked for, if the provider has it, decided from the list where
       * it can: among the batches created about the line's time, with as many requests (where the
       * list says), one tagged with the line's digest at its creation is it; one tagged otherwise
       * is not. Any other (untagged: an earlier ilo-bench's, or a provider that keeps no tag) is
       * told apart by its results, which exist once it has ended: every such candidate is followed
       * at once, and the first whose results are exactly the line's requests is it.
       */
      const search = (line: CheckpointBatchSubmitting) =>
        Effect.gen(function* () {
          const list = api.list
          if (list === undefined) return Either.left(`${api.provider}'s batch API here cannot list batches`)
          const at = Date.parse(line.at)
          const listed = yield* patiently(list(new Date(at - LOST_BEFORE_MS), new Date(at + LOST_AFTER_MS)))
          const wanted = new Set(line.custom_ids)
          const digest = customIdsDigest(line.custom_ids)
          const taken = claimed()
          const candidates = listed.filter(
            (c) => !taken.has(c.id) && (c.requests === undefined || c.requests === 0 || c.requests === wanted.size) && (c.tag === undefined || c.tag === digest)
          )
          const tagged = candidates.find((c) => c.tag === digest)
          if (tagged !== undefined) return Either.right(tagged.id)
          const notFound = "no batch of the provider's holds them"
          if (candidates.length === 0) return Either.left(notFound)
          const holds = (candidate: ListedBatch) =>
            (candidate.ended === true ? patiently(api.results(candidate.id)) : settled(candidate.id)).pipe(
              // A batch that cannot be read (its results no longer kept) is not one to answer from.
              Effect.mapError(() => notFound),
              Effect.filterOrFail(
                (results) => {
                  const ids = new Set(results.map((r) => r.customId))
                  return ids.size === wanted.size && [...ids].every((c) => wanted.has(c))
                },
                () => notFound
              ),
              Effect.map((results) => {
                readWhenFound.set(candidate.id, results)
                return candidate.id
              })
            )
          return yield* Effect.either(Effect.raceAll(candidates.map(holds)))
        }).pipe(Effect.catchAll((error) => Effect.succeed(Either.left(`the provider's batches could not be listed: ${error.message}`))))

      /** Looks for the lost batches holding some of `items`' requests: one found answers them as a recorded batch would, and is recorded. */
      const findLost = (number: number, items: ReadonlyArray<Waiting>) =>
        Effect.gen(function* () {
          const wanted = new Set(items.map((i) => i.customId))
          const due = lostBefore().filter((line) => line.custom_ids.some((c) => wanted.has(c)))
          if (due.length === 0) return
          lost = lostBefore().filter((line) => !due.includes(line))
          const missed: Array<string> = []
          for (const line of due) {
            const what = `${line.custom_ids.length} request${line.custom_ids.length === 1 ? "" : "s"} of wave ${line.wave} at ${line.at}`
            yield* Effect.logInfo(`a batch was being created when an earlier session of this benchmark ended (${what}): looking for it among the provider's batches`)
            const found = yield* search(line)
            if (Either.isLeft(found)) {
              missed.push(`${what} (${found.left})`)
              continue
            }
            const id = found.right
            const j = journal()
            // Recorded, so the next resume finds it at once instead of searching again.
            if (j !== undefined)
              yield* Effect.flatMap(now, (at) =>
                j.record({ type: "batch", id, provider: api.provider, wave: number, at, custom_ids_sha256: customIdsDigest(line.custom_ids) })
              ).pipe(Effect.orDie)
            ours.add(id)
            for (const c of line.custom_ids) answeredFrom().set(c, id)
            yield* Effect.logInfo(`found it: batch ${id} answers those requests, and is in the checkpoint now`)
          }
          if (missed.length > 0 && !warnedLost) {
            warnedLost = true
            yield* Effect.logWarning(
              `a batch was being created when an earlier session of this benchmark ended, and it was not found: ${missed.join("; ")}. Its requests are submitted again; if the provider did take that batch, it is billed as well (see the provider's Console)`
            )
          }
        })

      const sendWave = (number: number, items: ReadonlyArray<Waiting>) =>
        Effect.gen(function* () {
          yield* findLost(number, items)
          const started = yield* Clock.currentTimeMillis
          const before = answeredFrom()
          const earlier = new Map<string, Array<Waiting>>()
          const fresh: Array<Waiting> = []
          for (const item of items) {
            const batch = before.get(item.customId)
            if (batch === undefined) fresh.push(item)
            else {
              before.delete(item.customId)
              earlier.set(batch, [...(earlier.get(batch) ?? []), item])
            }
          }
          const states = new Map<string, BatchState>()
          const report = Effect.suspend(() => {
            const j = journal()
            if (j === undefined) return Effect.void
            return Effect.flatMap(Clock.currentTimeMillis, (t) =>
              j.progress({
                wave: number,
                requests: items.length,
                batches: [...states.keys()],
                counts: sumCounts([...states.values()].map((s) => s.counts)),
                waitedMs: t - started,
                ended: states.size > 0 && [...states.values()].every((s) => s.ended)
              })
            )
          })
          const followed: Array<readonly [string, ReadonlyArray<Waiting>, boolean]> = [...earlier].map(([id, chunk]) => [id, chunk, true] as const)
          for (const all of chunked(fresh, maxRequests, maxBytes)) {
            // A run interrupted before its request went out (Ctrl-C) is not paid for after all.
            const chunk = all.filter((item) => item.gone !== true)
            if (chunk.length === 0) continue
            const latch = Deferred.unsafeMake<void>(FiberId.none)
            for (const item of chunk) item.submitting = latch
            // Created and checkpointed as one step: an interrupt waits for the answer, so that a batch
            // the provider has taken (and will bill) is never missing from the checkpoint. The runs
            // interrupted meanwhile wait for it too (complete), so the checkpoint is still open.
            // First a line saying it is being created: an end the interrupt cannot wait for (a kill, a
            // second Ctrl-C) leaves that line, and a resume looks for the batch among the provider's.
            // The batch line after it, or a refusal that proves no batch was made, names it by its digest alone.
            const customIds = chunk.map((i) => i.customId)
            const digest = customIdsDigest(customIds)
            const line = (write: (at: string) => CheckpointBatch) => {
              const j = journal()
              return j === undefined ? Effect.void : Effect.flatMap(now, (at) => j.record(write(at))).pipe(Effect.orDie)
            }
            const submitted = yield* Effect.ensuring(
              Effect.uninterruptible(
                line((at) => ({ type: "submitting", provider: api.provider, wave: number, at, custom_ids: customIds })).pipe(
                  Effect.zipRight(
                    Effect.either(
                      api.submit(chunk.map(({ customId, request }) => ({ customId, request })), digest).pipe(
                        Effect.tap((state) => line((at) => ({ type: "batch", id: state.id, provider: api.provider, wave: number, at, custom_ids_sha256: digest }))),
                        // Refused in so many words: a resume has no batch to look for.
                        Effect.tapError((error) =>
                          madeNoBatch(error)
                            ? line((at) => ({ type: "refused", provider: api.provider, wave: number, at, custom_ids_sha256: digest, status: error.status, message: error.message }))
                            : Effect.void
                        )
                      )
                    )
                  )
                )
              ),
              Deferred.done(latch, Exit.void)
            )
            if (Either.isLeft(submitted)) {
              for (const item of chunk) Deferred.unsafeDone(item.reply, Effect.fail(submitted.left))
              continue
            }
            ours.add(submitted.right.id)
            states.set(submitted.right.id, submitted.right)
            followed.push([submitted.right.id, chunk, false])
          }
          yield* report
          yield* Effect.forEach(followed, ([id, chunk, fromEarlier]) => follow(id, chunk, states, report, fromEarlier), { concurrency: "unbounded", discard: true })
        })

      /** Sends a wave once every open run waits on the model and none is in flight. */
      const check = () => {
        if (inFlight || queued.length === 0 || queued.length < waves.open()) return
        const items = queued
        queued = []
        inFlight = true
        wave++
        run(
          sendWave(wave, items).pipe(
            // A defect (the checkpoint cannot be written) or an interrupt reaches every request still
            // waiting: none is left waiting for a wave that will not come.
            Effect.onExit((exit) =>
              Exit.isSuccess(exit) ? Effect.void : Effect.sync(() => items.forEach((item) => Deferred.unsafeDone(item.reply, Effect.failCause(exit.cause))))
            ),
            Effect.ensuring(
              Effect.sync(() => {
                inFlight = false
                check()
              })
            )
          )
        )
      }
      waves.watch(check)

      return Llm.make({
        provider: api.provider,
        // No deadline per request: callModel sets no timer (a batch may take hours).
        timesOut: true,
        complete: (request) =>
          Effect.suspend(() => {
            const item: Waiting = { customId: customIdOf(api.provider, request), request, reply: Deferred.unsafeMake(FiberId.none) }
            // Two identical requests of one session (no exchange label) still need ids of their own.
            if (queued.some((q) => q.customId === item.customId))
              (item as { customId: string }).customId = sha256(`${item.customId}#${queued.length}`)
            queued.push(item)
            check()
            return Deferred.await(item.reply).pipe(
              Effect.onInterrupt(() =>
                Effect.suspend(() => {
                  item.gone = true
                  queued = queued.filter((q) => q !== item)
                  // A batch being created with this request in it is waited for: it goes in the checkpoint before the run ends.
                  return item.submitting === undefined ? Effect.void : Deferred.await(item.submitting)
                })
              )
            )
          })
      })
    })
  )
