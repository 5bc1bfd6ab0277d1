import { Cause, Context, Duration, Effect, Either, Exit, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import type { CheckpointBatch } from "../src/domain/Checkpoint.js"
import * as Batch from "../src/providers/Batch.js"
import { Llm, LlmError, type LlmRequest } from "../src/services/Llm.js"
import { Waves } from "../src/services/Waves.js"
import { reply } from "./support/layers.js"

const request = (task: string, attempt = 1): LlmRequest => ({
  model: "m",
  system: [{ text: "sys", cache: true }],
  messages: [{ role: "user", content: `Task ${task}` }],
  maxTokens: 100,
  timeout: Duration.seconds(1),
  exchange: { task, language: "ilo", model: "m", trial: 1, attempt }
})

/** A batch API in memory: each batch ends on its first poll; `answer` decides each request's result. */
const fakeApi = (answer: (customId: string, r: LlmRequest) => Either.Either<ReturnType<typeof reply>, LlmError>, canceled = false) => {
  const submitted: Array<ReadonlyArray<string>> = []
  const polled: Array<string> = []
  const held = new Map<string, ReadonlyArray<Batch.BatchResult>>()
  const ended = (id: string) => ({ id, ended: true, canceled, counts: { processing: 0, succeeded: 0, errored: 0, expired: 0, canceled: 0 } })
  const api: Batch.BatchApi = {
    provider: "anthropic",
    submit: (requests) =>
      Effect.sync(() => {
        const id = `b${submitted.length + 1}`
        submitted.push(requests.map((r) => r.customId))
        held.set(id, requests.map((r) => ({ customId: r.customId, outcome: answer(r.customId, r.request) })))
        return ended(id)
      }),
    status: (id) => Effect.sync(() => (polled.push(id), ended(id))),
    results: (id) => Effect.sync(() => held.get(id) ?? []),
    list: () =>
      Effect.sync(() => {
        listing.listed++
        return [...held].reverse().map(([id, results]) => ({ id, createdAt: new Date(), requests: results.length }))
      })
  }
  const listing = { listed: 0 }
  return {
    api,
    submitted,
    polled,
    held,
    get listed() {
      return listing.listed
    }
  }
}

const withLayer = <A, E>(
  api: Batch.BatchApi,
  recorded: ReadonlyArray<CheckpointBatch>,
  body: (llm: Context.Tag.Service<Llm>, waves: Context.Tag.Service<Waves>) => Effect.Effect<A, E>,
  writable = true
) =>
  Effect.gen(function* () {
    const waves = yield* Waves.make
    const written: Array<CheckpointBatch> = []
    yield* waves.attach({
      record: (line) => (writable ? Effect.sync(() => void written.push(line)) : Effect.fail("the disk is full")),
      recorded,
      progress: () => Effect.void
    })
    const context = yield* Layer.build(Batch.layer(Effect.succeed(api), { poll: Duration.millis(1) }).pipe(Layer.provide(Layer.succeed(Waves, waves))))
    return { value: yield* body(Context.get(context, Llm), waves), written }
  }).pipe(Effect.scoped, Effect.runPromise)

describe("the batching Llm layer", () => {
  it("holds requests until every open run waits, then sends them as one batch, checkpointed first", async () => {
    const fake = fakeApi((_, r) => Either.right(reply(`for ${r.exchange?.task}`)))
    const { value, written } = await withLayer(fake.api, [], (llm, waves) =>
      Effect.gen(function* () {
        yield* waves.expect(2)
        const a = yield* Effect.fork(llm.complete(request("a")))
        for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
        // One of two open runs waits: nothing is sent yet.
        expect(fake.submitted).toHaveLength(0)
        const b = yield* llm.complete(request("b"))
        return [yield* Fiber.join(a), b]
      })
    )
    expect(fake.submitted.map((ids) => ids.length)).toEqual([2])
    expect(value.map((r) => [r.text, r.batchId])).toEqual([["for a", "b1"], ["for b", "b1"]])
    // A line saying the batch is being created, then its id once the provider has answered: that
    // line names its requests by the digest of the first's, instead of repeating them.
    expect(written).toEqual([
      { type: "submitting", provider: "anthropic", wave: 1, at: expect.any(String), custom_ids: fake.submitted[0] },
      { type: "batch", id: "b1", provider: "anthropic", wave: 1, at: expect.any(String), custom_ids_sha256: Batch.customIdsDigest(fake.submitted[0]!) }
    ])
    expect(Batch.readBatchLines(written).batches).toEqual([{ id: "b1", provider: "anthropic", customIds: fake.submitted[0] }])
  })

  it("answers a request an earlier session submitted from that batch, once; asked again, it is submitted anew", async () => {
    const fake = fakeApi(() => Either.left(new LlmError({ kind: "overloaded", status: null, retryAfterMs: null, requestId: null, message: "busy" })))
    const id = Batch.customIdOf("anthropic", request("a"))
    fake.held.set("b0", [{ customId: id, outcome: Either.right(reply("from before")) }])
    const { value } = await withLayer(fake.api, [{ type: "batch", id: "b0", provider: "anthropic", wave: 1, at: "t", custom_ids: [id] }], (llm) =>
      Effect.gen(function* () {
        const first = yield* llm.complete(request("a"))
        const second = yield* Effect.either(llm.complete(request("a")))
        return { first, second }
      })
    )
    expect(value.first).toMatchObject({ text: "from before", batchId: "b0" })
    expect(fake.polled[0]).toBe("b0")
    expect(fake.submitted).toEqual([[id]])
    // A checkpoint without "submitting" lines (written before they were) looks for no lost batch.
    expect(fake.listed).toBe(0)
    // An error inside a batch is the request's own, of its kind: the retry policy asks again.
    expect(Either.isLeft(value.second) && value.second.left).toMatchObject({ _tag: "LlmError", kind: "overloaded" })
  })

  it("a batch being created when an earlier session ended, never recorded, is found by its requests' custom_ids, answers them, and is recorded", async () => {
    const fake = fakeApi(() => Either.right(reply("submitted anew")))
    const a = Batch.customIdOf("anthropic", request("a"))
    const b = Batch.customIdOf("anthropic", request("b"))
    // Two batches of two requests about that time: only one holds the line's.
    fake.held.set("lost", [{ customId: a, outcome: Either.right(reply("from the lost batch")) }, { customId: b, outcome: Either.right(reply("b too")) }])
    fake.held.set("other", [{ customId: a, outcome: Either.right(reply("not this one")) }, { customId: "x", outcome: Either.right(reply("x")) }])
    const at = new Date().toISOString()
    const { value, written } = await withLayer(fake.api, [{ type: "submitting", provider: "anthropic", wave: 1, at, custom_ids: [a, b] }], (llm, waves) =>
      Effect.gen(function* () {
        yield* waves.expect(2)
        return yield* Effect.all([llm.complete(request("a")), llm.complete(request("b"))], { concurrency: "unbounded" })
      })
    )
    expect(value.map((r) => [r.text, r.batchId])).toEqual([["from the lost batch", "lost"], ["b too", "lost"]])
    expect(fake.submitted).toEqual([])
    expect(written).toEqual([expect.objectContaining({ type: "batch", id: "lost", custom_ids_sha256: Batch.customIdsDigest([a, b]) })])
  })

  it("a provider that cannot list its batches: the requests of a batch being created when a session ended are submitted anew", async () => {
    const fake = fakeApi(() => Either.right(reply("submitted anew")))
    const a = Batch.customIdOf("anthropic", request("a"))
    const { list: _, ...unlisted } = fake.api
    const { value } = await withLayer(unlisted, [{ type: "submitting", provider: "anthropic", wave: 1, at: new Date().toISOString(), custom_ids: [a] }], (llm) =>
      llm.complete(request("a"))
    )
    expect(value.text).toBe("submitted anew")
    expect(fake.submitted).toEqual([[a]])
  })

  it("a checkpoint that cannot take a batch's line stops the request (a defect), instead of leaving it waiting", async () => {
    const fake = fakeApi(() => Either.right(reply("x")))
    const { value } = await withLayer(fake.api, [], (llm) => Effect.exit(llm.complete(request("a"))).pipe(Effect.timeout("5 seconds")), false)
    expect(Exit.isFailure(value) && Cause.isDie(value.cause)).toBe(true)
  })

  it("a batch that cannot be polled for a while fails its requests (retried), and the retry polls that batch again instead of paying for another", async () => {
    const fake = fakeApi((_, r) => Either.right(reply(`for ${r.exchange?.task}`)))
    let looks = 0
    const offline = new LlmError({ kind: "connection", status: null, retryAfterMs: null, requestId: null, message: "ENETUNREACH" })
    // The network is down for more looks than the poll's own patience (20 tries).
    const api: Batch.BatchApi = { ...fake.api, status: (id) => Effect.suspend(() => (++looks <= 25 ? Effect.fail(offline) : fake.api.status(id))) }
    const { value } = await withLayer(api, [], (llm) =>
      Effect.gen(function* () {
        const first = yield* Effect.either(llm.complete(request("a")))
        const again = yield* llm.complete(request("a"))
        return { first, again }
      })
    )
    expect(Either.isLeft(value.first) && value.first.left).toMatchObject({ kind: "connection" })
    expect(value.again).toMatchObject({ text: "for a", batchId: "b1" })
    expect(fake.submitted).toHaveLength(1)
  })

  it("a batch canceled outside ilo-bench answers what it processed, stops the rest with BatchCanceled, and submits nothing again", async () => {
    const notProcessed = new LlmError({ kind: "server", status: null, retryAfterMs: null, requestId: null, message: "canceled before it was processed" })
    const fake = fakeApi((_, r) => (r.exchange?.task === "a" ? Either.right(reply("done before the cancel")) : Either.left(notProcessed)), true)
    const { value } = await withLayer(fake.api, [], (llm, waves) =>
      Effect.gen(function* () {
        yield* waves.expect(2)
        const a = yield* Effect.fork(llm.complete(request("a")))
        const b = yield* Effect.either(llm.complete(request("b")))
        return { a: yield* Fiber.join(a), b }
      })
    )
    expect(value.a).toMatchObject({ text: "done before the cancel", batchId: "b1" })
    expect(Either.isLeft(value.b) && value.b.left).toMatchObject({ _tag: "BatchCanceled", id: "b1", unanswered: 1 })
    expect(fake.submitted).toHaveLength(1)
  })

  it("a request missing from its batch's results fails as the service's fault (retried), not as a reply", async () => {
    const fake = fakeApi(() => Either.right(reply("x")))
    const api: Batch.BatchApi = { ...fake.api, results: () => Effect.succeed([]) }
    const { value } = await withLayer(api, [], (llm) => Effect.either(llm.complete(request("a"))))
    expect(Either.isLeft(value) && value.left).toMatchObject({ kind: "server" })
    expect(Either.isLeft(value) && value.left instanceof LlmError && value.left.retryable).toBe(true)
  })

  const refusal = (status: number | null, extra: Partial<LlmError> = {}) =>
    new LlmError({ kind: status === 429 ? "rate_limit" : "request", status, retryAfterMs: null, requestId: null, message: `refused ${status}`, ...extra })

  it("a create the provider refuses (an HTTP 4xx answer) is recorded as refused: a later session looks for no batch, and warns of none", async () => {
    for (const status of [400, 401, 429]) {
      const fake = fakeApi(() => Either.right(reply("x")))
      const refusing: Batch.BatchApi = { ...fake.api, submit: () => Effect.fail(refusal(status)) }
      const first = await withLayer(refusing, [], (llm) => Effect.either(llm.complete(request("a"))))
      expect(Either.isLeft(first.value) && first.value.left).toMatchObject({ status })
      const a = Batch.customIdOf("anthropic", request("a"))
      expect(first.written).toEqual([
        expect.objectContaining({ type: "submitting", custom_ids: [a] }),
        expect.objectContaining({ type: "refused", custom_ids_sha256: Batch.customIdsDigest([a]), status })
      ])
      expect(Batch.readBatchLines(first.written).unanswered).toEqual([])
      // The next session: the request is submitted, and nothing is looked for among the provider's batches.
      const again = await withLayer(fake.api, first.written, (llm) => llm.complete(request("a")))
      expect(again.value.text).toBe("x")
      expect(fake.listed).toBe(0)
      expect(fake.submitted).toEqual([[a]])
    }
  })

  it("a create with no answer that proves nothing was made (cut off, a 5xx from a gateway, a body that is no batch) is still looked for", async () => {
    const cutOff = [
      refusal(null, { kind: "connection", message: "socket hang up" }),
      refusal(502, { kind: "server" }),
      refusal(504, { kind: "server" }),
      refusal(408, { kind: "timeout" }),
      refusal(null, { kind: "request", message: "the API's answer is not a message batch" })
    ]
    for (const error of cutOff) {
      const fake = fakeApi(() => Either.right(reply("x")))
      const first = await withLayer({ ...fake.api, submit: () => Effect.fail(error) }, [], (llm) => Effect.either(llm.complete(request("a"))))
      expect(first.written.map((w) => w.type)).toEqual(["submitting"])
      await withLayer(fake.api, first.written, (llm) => llm.complete(request("a")))
      expect(fake.listed).toBe(1)
    }
    // A request that never left (connection refused) made nothing either.
    const fake = fakeApi(() => Either.right(reply("x")))
    const first = await withLayer({ ...fake.api, submit: () => Effect.fail(refusal(null, { kind: "connection", notSent: true })) }, [], (llm) =>
      Effect.either(llm.complete(request("a")))
    )
    expect(first.written.map((w) => w.type)).toEqual(["submitting", "refused"])
  })

  it("a refusal answers its own submitting line only: an earlier one of the same requests, cut off, is still looked for", async () => {
    const a = Batch.customIdOf("anthropic", request("a"))
    const at = new Date().toISOString()
    const submitting = { type: "submitting", provider: "anthropic", wave: 1, at, custom_ids: [a] } as const
    const refused = { type: "refused", provider: "anthropic", wave: 1, at, custom_ids_sha256: Batch.customIdsDigest([a]), status: 429, message: "busy" } as const
    expect(Batch.readBatchLines([submitting, refused]).unanswered).toEqual([])
    expect(Batch.readBatchLines([submitting, { ...submitting }, refused]).unanswered).toEqual([submitting])
  })

  it("resumes a checkpoint written before batch lines named their submitting line (custom_ids on the batch line) as before", async () => {
    const fake = fakeApi(() => Either.right(reply("submitted anew")))
    const a = Batch.customIdOf("anthropic", request("a"))
    const b = Batch.customIdOf("anthropic", request("b"))
    fake.held.set("b0", [{ customId: a, outcome: Either.right(reply("from before")) }, { customId: b, outcome: Either.right(reply("b before")) }])
    const at = new Date().toISOString()
    const old: ReadonlyArray<CheckpointBatch> = [
      { type: "submitting", provider: "anthropic", wave: 1, at, custom_ids: [a, b] },
      { type: "batch", id: "b0", provider: "anthropic", wave: 1, at, custom_ids: [a, b] }
    ]
    const { value, written } = await withLayer(fake.api, old, (llm, waves) =>
      Effect.gen(function* () {
        yield* waves.expect(2)
        return yield* Effect.all([llm.complete(request("a")), llm.complete(request("b"))], { concurrency: "unbounded" })
      })
    )
    expect(value.map((r) => [r.text, r.batchId])).toEqual([["from before", "b0"], ["b before", "b0"]])
    expect(fake.submitted).toEqual([])
    expect(fake.listed).toBe(0)
    expect(written).toEqual([])
  })

  it("a batch line of many requests names them by digest: a few bytes, not the submitting line's megabytes again", async () => {
    const fake = fakeApi(() => Either.right(reply("x")))
    const many = 2000
    const { written } = await withLayer(fake.api, [], (llm, waves) =>
      Effect.gen(function* () {
        yield* waves.expect(many)
        return yield* Effect.all(
          Array.from({ length: many }, (_, i) => llm.complete(request(`t${i}`))),
          { concurrency: "unbounded" }
        )
      })
    )
    const [submitting, batch] = written.map((w) => JSON.stringify(w).length)
    expect(submitting).toBeGreaterThan(many * 64)
    expect(batch).toBeLessThan(300)
    // A resume reads the batch's requests back from the submitting line, and polls it instead of paying again.
    const again = await withLayer(fake.api, written, (llm) => llm.complete(request("t7")))
    expect(again.value.batchId).toBe("b1")
    expect(fake.submitted).toHaveLength(1)
  })

  describe("looking for a batch whose create call was cut off", () => {
    const a = Batch.customIdOf("anthropic", request("a"))
    const b = Batch.customIdOf("anthropic", request("b"))
    const lostLine = (): ReadonlyArray<CheckpointBatch> => [{ type: "submitting", provider: "anthropic", wave: 1, at: new Date().toISOString(), custom_ids: [a, b] }]
    const ours = [{ customId: a, outcome: Either.right(reply("from the lost batch")) }, { customId: b, outcome: Either.right(reply("b too")) }]
    const both = (llm: Context.Tag.Service<Llm>, waves: Context.Tag.Service<Waves>) =>
      Effect.gen(function* () {
        yield* waves.expect(2)
        return yield* Effect.all([llm.complete(request("a")), llm.complete(request("b"))], { concurrency: "unbounded" })
      }).pipe(Effect.timeout("5 seconds"))

    /** A provider whose list shows `listed`, and whose batches end only when `ended` says. */
    const provider = (listed: ReadonlyArray<Batch.ListedBatch>, held: Record<string, ReadonlyArray<Batch.BatchResult>>, ended: (id: string) => boolean) => {
      const looked: Array<string> = []
      const read: Array<string> = []
      const state = (id: string) => ({ id, ended: ended(id), canceled: false, counts: { processing: 0, succeeded: 0, errored: 0, expired: 0, canceled: 0 } })
      const api: Batch.BatchApi = {
        provider: "anthropic",
        submit: () => Effect.die("nothing is submitted here"),
        status: (id) => Effect.sync(() => (looked.push(id), state(id))),
        results: (id) => Effect.sync(() => (read.push(id), held[id] ?? [])),
        list: () => Effect.succeed(listed)
      }
      return { api, looked, read }
    }

    it("a candidate that is not ours and has not ended does not hold up ours: all are followed together", async () => {
      // Listed first, never ending (a day's batch of someone else's, of the same size).
      const p = provider(
        [
          { id: "other", createdAt: new Date(), requests: 2, ended: false },
          { id: "lost", createdAt: new Date(), requests: 2, ended: false }
        ],
        { lost: ours },
        (id) => id === "lost"
      )
      const { value, written } = await withLayer(p.api, lostLine(), both)
      expect(value.map((r) => [r.text, r.batchId])).toEqual([["from the lost batch", "lost"], ["b too", "lost"]])
      expect(written).toEqual([expect.objectContaining({ type: "batch", id: "lost" })])
      expect(p.read).not.toContain("other")
    })

    it("a candidate the list shows ended is read at once, and once; one of another size is never looked at", async () => {
      const p = provider(
        [
          { id: "bigger", createdAt: new Date(), requests: 3, ended: true },
          { id: "lost", createdAt: new Date(), requests: 2, ended: true }
        ],
        { lost: ours },
        () => true
      )
      const { value } = await withLayer(p.api, lostLine(), both)
      expect(value.map((r) => r.batchId)).toEqual(["lost", "lost"])
      expect(p.read.filter((id) => id === "bigger")).toEqual([])
      expect(p.looked.filter((id) => id === "bigger")).toEqual([])
      // Its results, read once to tell it apart, answer its requests: neither polled nor read again.
      expect(p.read).toEqual(["lost"])
      expect(p.looked).toEqual([])
    })

    it("a candidate tagged with the line's digest at its creation is taken from the list alone; one tagged otherwise is never read", async () => {
      const digest = Batch.customIdsDigest([a, b])
      // Neither has ended: the tag decides without waiting for results.
      let endedYet = false
      const p = provider(
        [
          { id: "theirs", createdAt: new Date(), requests: 2, ended: false, tag: Batch.customIdsDigest([b, a]) },
          { id: "lost", createdAt: new Date(), requests: 2, ended: false, tag: digest }
        ],
        { lost: ours },
        (id) => id === "lost" && endedYet
      )
      const { value, written } = await withLayer(p.api, lostLine(), (llm, waves) =>
        Effect.gen(function* () {
          const fiber = yield* Effect.fork(both(llm, waves))
          // Adopted (in the checkpoint) before the batch has ended or a result was read.
          for (let i = 0; i < 50 && p.looked.length === 0; i++) yield* Effect.sleep("2 millis")
          const before = { read: [...p.read] }
          endedYet = true
          return { before, replies: yield* Fiber.join(fiber) }
        })
      )
      expect(value.before.read).toEqual([])
      expect(written).toEqual([expect.objectContaining({ type: "batch", id: "lost" })])
      expect(value.replies.map((r) => r.batchId)).toEqual(["lost", "lost"])
      // Its results were read once, to answer the requests; the other batch's never.
      expect(p.read).toEqual(["lost"])
      expect(p.looked).not.toContain("theirs")
    })
  })
})
