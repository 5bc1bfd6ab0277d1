import { Either } from "effect"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import type { CheckpointBatch } from "../src/domain/Checkpoint.js"
import { loadSigningKey, signature } from "../src/platform/checkpointKeys.js"
import { customIdsDigest, readBatchLines } from "../src/providers/Batch.js"
import { parseCheckpoint } from "../src/services/Checkpoint.js"
import { expectedOf, scratch } from "./support/bench.js"
import { runCli } from "./support/cli.js"
import { startFakeAnthropic, type FakeAnthropic, type RecordedRequest, type Reply } from "./support/fakeAnthropic.js"
import { startFakeOpenAi, type OpenAiReply } from "./support/fakeOpenAi.js"

/** The first attempt of t1 and t3 fails; every repair (and t2 at once) prints the expected output. */
const failThenFix = (request: RecordedRequest): Reply => {
  const body = request.body
  const first = body.messages.length === 1
  const expected = expectedOf(body)
  return first && expected !== "22"
    ? { text: "exit 3", inputTokens: 50, cacheWrite: 900, outputTokens: 7 }
    : { text: `echo ${expected}`, inputTokens: 60, cacheRead: 900, outputTokens: 9 }
}

const TASKS = [
  { id: "t1", expected: "11" },
  { id: "t2", expected: "22" },
  { id: "t3", expected: "33" }
]

let servers: Array<FakeAnthropic> = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})
const start = async (script: (request: RecordedRequest, n: number) => Reply) => {
  const server = await startFakeAnthropic(script)
  servers.push(server)
  return server
}

/** What a run produced, without what differs between sessions (times, batch ids, cost). */
const essence = (r: any) => ({
  task: r.task,
  outcome: r.final_outcome,
  attempts: r.attempts.map((a: any) => [a.attempt, a.outcome, a.input_tokens, a.cache_write_tokens, a.cache_read_tokens, a.output_tokens, a.program])
})
const creates = (server: FakeAnthropic) => server.requests.filter((r) => r.method === "POST" && r.path === "/v1/messages/batches")
/** The batches a checkpoint names by id ("batch" lines; "submitting" lines say one was about to be created), with their requests. */
const submitted = (saved: { readonly batches?: ReadonlyArray<CheckpointBatch> | undefined }) => readBatchLines(saved.batches ?? []).batches
/** Runs the CLI and sends it `signal` once the server has created a batch (its create call still held): how the CLI ended. */
const signalWhileCreating = async (args: ReadonlyArray<string>, env: Record<string, string>, created: () => number, signal: NodeJS.Signals) => {
  let pid: number | undefined
  const running = runCli(args, { env, onSpawn: (p) => (pid = p) })
  const deadline = Date.now() + 30_000
  while (created() === 0) {
    if (Date.now() > deadline) throw new Error("no batch was created")
    await new Promise((r) => setTimeout(r, 10))
  }
  process.kill(pid!, signal)
  return running
}
/**
 * The checkpoint as an ilo-bench whose batch lines repeated their requests would have written it:
 * each batch line with `custom_ids` (its submitting line's) instead of their digest, the lines
 * signed again in a chain of their own.
 */
const withOldBatchLines = (file: string) => {
  const [first, ...rest] = readFileSync(file, "utf8").split("\n").filter((l) => l !== "")
  const key = loadSigningKey(JSON.parse(first!).signing_key)!
  const signed = /,"mac":"([0-9a-f]{64})"\}$/
  let last = signed.exec(first!)![1]!
  const byDigest = new Map<string, ReadonlyArray<string>>()
  const lines = [first!]
  for (const line of rest) {
    const found = signed.exec(line)!
    const record = JSON.parse(line.slice(0, found.index) + "}")
    if (record.type === "submitting") byDigest.set(customIdsDigest(record.custom_ids), record.custom_ids)
    if (record.type === "batch") {
      record.custom_ids = byDigest.get(record.custom_ids_sha256)
      delete record.custom_ids_sha256
    }
    const text = JSON.stringify(record)
    last = signature(key.key, last, text)
    lines.push(`${text.slice(0, -1)},"mac":"${last}"}`)
  }
  writeFileSync(file, lines.join("\n") + "\n")
}
const checkpointOf = (out: string) => join(out, readdirSync(out).find((f) => f.endsWith(".jsonl"))!)

describe("--batch: the requests go in Message Batches, a wave per attempt", () => {
  it("gives the interactive mode's results for the same replies, from the same requests, at the batch price", async () => {
    const live = await start(failThenFix)
    const interactive = scratch(TASKS)
    const listed = await interactive.run(live.url)
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain("Cost (list prices):")

    const batched = await start(failThenFix)
    const s = scratch(TASKS)
    const result = await s.run(batched.url, ["--batch", "--batch-poll", "0.05"])
    expect(result.stderr).not.toContain("ERROR")
    expect(result.code).toBe(0)
    // Progress names each wave, what the provider reports of it, and how long it waited.
    expect(result.stderr).toMatch(/wave 1: 3 requests in 1 batch · 3 processing · 0 succeeded · 0 errored · waited \d+s/)
    expect(result.stderr).toMatch(/wave 1: 3 requests in 1 batch · 0 processing · 3 succeeded · 0 errored · ended after \d+s/)
    expect(result.stderr).toMatch(/wave 2: 2 requests in 1 batch · 0 processing · 2 succeeded · 0 errored · ended after \d+s/)

    // Two waves: the three first attempts, then the two repairs; nothing went to /v1/messages.
    expect(creates(batched).map((r) => r.body.requests.length)).toEqual([3, 2])
    expect(batched.requests.filter((r) => r.path.startsWith("/v1/messages?") || r.path === "/v1/messages")).toHaveLength(0)
    // The requests inside the batches are the interactive mode's, byte for byte.
    const sorted = (bodies: Array<unknown>) => bodies.map((b) => JSON.stringify(b)).sort()
    expect(sorted(batched.batches.requests.map((r) => r.body))).toEqual(sorted(live.requests.map((r) => r.body)))
    for (const r of batched.batches.requests) expect(r.custom_id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/)

    const a = interactive.report()
    const b = s.report()
    expect(b.results.map(essence)).toEqual(a.results.map(essence))
    expect(b.config.batch).toBe(true)
    for (const r of b.results) {
      expect(r.batch).toBe(true)
      for (const attempt of r.attempts) expect(attempt.batch_id).toMatch(/^msgbatch_[12]$/)
    }
    expect(a.results.every((r: any) => r.batch === undefined)).toBe(true)
    // Half the list price, cache reads and writes included.
    const cost = (report: any) => report.results.reduce((n: number, r: any) => n + r.cost_usd, 0)
    expect(cost(b)).toBeGreaterThan(0)
    expect(cost(b)).toBeCloseTo(cost(a) / 2, 9)
    expect(b.config.prices["claude-haiku-4-5"].input).toBe(a.config.prices["claude-haiku-4-5"].input / 2)
    // What the user reads says which prices: stdout's cost table and the Markdown report.
    expect(result.stdout).toContain("Cost (batch prices):")
    expect(s.markdown()).toContain("At the model catalog's batch prices.")
  })

  it("retries a request that errored inside a batch, and only that one", async () => {
    let failedOnce = false
    const server = await start((request) => {
      if (expectedOf(request.body) === "22" && !failedOnce) {
        failedOnce = true
        return { status: 529 }
      }
      return { text: `echo ${expectedOf(request.body)}` }
    })
    const s = scratch(TASKS)
    const result = await s.run(server.url, ["--batch", "--batch-poll", "0.05"])
    expect(result.code).toBe(0)
    const waves = creates(server).map((r) => r.body.requests.map((q: any) => expectedOf(q.params)))
    expect(waves.map((w) => [...w].sort())).toEqual([["11", "22", "33"], ["22"]])
    const report = s.report()
    expect(report.results.map((r: any) => [r.task, r.final_outcome, r.api_retries])).toEqual([
      ["t1", "working", 0],
      ["t2", "working", 1],
      ["t3", "working", 0]
    ])
  })

  it("survives an interrupt between submit and results: the resume polls the batch it paid for, and submits nothing again", async () => {
    const server = await start(failThenFix)
    server.batches.hold = true
    const s = scratch(TASKS)
    let pid: number | undefined
    const running = runCli(
      s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]),
      { env: { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }, onSpawn: (p) => (pid = p) }
    )
    const deadline = Date.now() + 30_000
    // Submitted and polled: the batch is in the checkpoint by now.
    while (server.requests.filter((r) => r.method === "GET").length < 2) {
      if (Date.now() > deadline) throw new Error("the batch was never polled")
      await new Promise((r) => setTimeout(r, 20))
    }
    process.kill(pid!, "SIGINT")
    const interrupted = await running
    expect(interrupted.stderr).toContain("Interrupted")
    expect(creates(server)).toHaveLength(1)
    const checkpoint = checkpointOf(s.out)
    const saved = Either.getOrThrow(parseCheckpoint(checkpoint, readFileSync(checkpoint, "utf8")))
    expect(submitted(saved).map((b) => [b.id, b.customIds.length])).toEqual([["msgbatch_1", 3]])
    // A batch's requests are named by its line, and a resume collects them: not counted as lost in flight.
    expect(saved.unanswered).toBe(0)
    expect(JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))).not.toHaveProperty("unanswered_requests")

    server.batches.hold = false
    const resumed = await runCli(
      s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05", "--resume", checkpoint]),
      { env: { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url } }
    )
    expect(resumed.stderr).not.toContain("ERROR")
    expect(resumed.code).toBe(0)
    // The first attempts came from the batch already paid for; only the repairs were submitted.
    expect(creates(server).map((r) => r.body.requests.length)).toEqual([3, 2])
    const firsts = server.batches.requests.filter((r) => r.body.messages.length === 1)
    expect(firsts).toHaveLength(3)
    const report = JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))
    expect(report.complete).toBe(true)
    expect(report.results.map((r: any) => [r.task, r.final_outcome, r.attempts.map((a: any) => a.batch_id)])).toEqual([
      ["t1", "working", ["msgbatch_1", "msgbatch_2"]],
      ["t2", "working", ["msgbatch_1"]],
      ["t3", "working", ["msgbatch_1", "msgbatch_2"]]
    ])
  })

  it("a checkpoint whose batch lines name their requests (an earlier ilo-bench's) resumes as before: its batch is polled, not paid again", async () => {
    const server = await start(failThenFix)
    server.batches.hold = true
    const s = scratch(TASKS)
    const env = { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    let pid: number | undefined
    const running = runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]), { env, onSpawn: (p) => (pid = p) })
    const deadline = Date.now() + 30_000
    while (server.requests.filter((r) => r.method === "GET").length < 2) {
      if (Date.now() > deadline) throw new Error("the batch was never polled")
      await new Promise((r) => setTimeout(r, 20))
    }
    process.kill(pid!, "SIGINT")
    expect((await running).code).toBe(130)
    const checkpoint = checkpointOf(s.out)
    withOldBatchLines(checkpoint)
    const old = readFileSync(checkpoint, "utf8")
    expect(old).toContain('"type":"batch","id":"msgbatch_1"')
    expect(old).not.toContain("custom_ids_sha256")

    server.batches.hold = false
    const resumed = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05", "--resume", checkpoint]), { env })
    expect(resumed.stderr).not.toContain("ERROR")
    expect(resumed.stderr).not.toContain("looking for it")
    expect(resumed.code).toBe(0)
    expect(creates(server).map((r) => r.body.requests.length)).toEqual([3, 2])
    expect(server.batches.lists).toBe(0)
    const report = JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))
    expect(report.results.map((r: any) => r.attempts.map((a: any) => a.batch_id))).toEqual([["msgbatch_1", "msgbatch_2"], ["msgbatch_1"], ["msgbatch_1", "msgbatch_2"]])
  })

  it("an interrupt while a batch is being created waits for it: the batch is in the checkpoint, and the resume polls it", async () => {
    const server = await start(failThenFix)
    server.batches.createDelayMs = 2_000
    const s = scratch(TASKS)
    const env = { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    // The provider has the batch (and will bill it); its answer is still on the way.
    const interrupted = await signalWhileCreating(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]), env, () => creates(server).length, "SIGINT")
    expect(interrupted.stderr).toContain("Interrupted")
    const checkpoint = checkpointOf(s.out)
    const saved = Either.getOrThrow(parseCheckpoint(checkpoint, readFileSync(checkpoint, "utf8")))
    expect(submitted(saved).map((b) => [b.id, b.customIds.length])).toEqual([["msgbatch_1", 3]])

    server.batches.createDelayMs = 0
    const resumed = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05", "--resume", checkpoint]), { env })
    expect(resumed.stderr).not.toContain("ERROR")
    expect(resumed.code).toBe(0)
    // The first attempts came from the batch created before the interrupt: nothing paid twice.
    expect(creates(server).map((r) => r.body.requests.length)).toEqual([3, 2])
    // Its "submitting" line is covered by its "batch" line: nothing is looked for.
    expect(server.batches.lists).toBe(0)
  })

  /** A benchmark killed (SIGKILL) while the provider holds its first batch's create call: the batch exists, its id never came back. */
  const killedWhileCreating = async (server: FakeAnthropic, s: ReturnType<typeof scratch>) => {
    server.batches.createDelayMs = 5_000
    const env = { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    const killed = await signalWhileCreating(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]), env, () => creates(server).length, "SIGKILL")
    expect(killed.signal).toBe("SIGKILL")
    server.batches.createDelayMs = 0
    const checkpoint = checkpointOf(s.out)
    const saved = Either.getOrThrow(parseCheckpoint(checkpoint, readFileSync(checkpoint, "utf8")))
    // The checkpoint says a batch of the three first attempts was being created, and names no batch.
    expect(submitted(saved)).toEqual([])
    expect(saved.batches?.map((b) => [b.type, b.type === "submitting" ? b.custom_ids.length : null])).toEqual([["submitting", 3]])
    return checkpoint
  }

  it("a batch whose create call a kill cut off is found among the provider's batches on resume, answers its requests, and is recorded", async () => {
    const server = await start(failThenFix)
    const s = scratch(TASKS)
    const checkpoint = await killedWhileCreating(server, s)
    const env = { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    const resumed = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05", "--resume", checkpoint]), { env })
    expect(resumed.stderr).not.toContain("ERROR")
    expect(resumed.stderr).not.toContain("not found")
    expect(resumed.stderr).toContain("found it: batch msgbatch_1 answers those requests")
    expect(resumed.code).toBe(0)
    // The first attempts came from the batch the killed session created: only the repairs were submitted.
    expect(creates(server).map((r) => r.body.requests.length)).toEqual([3, 2])
    expect(server.batches.lists).toBeGreaterThan(0)
    // Its results, read to tell it apart, answered its requests: read once.
    expect(server.requests.filter((r) => r.path.startsWith("/v1/messages/batches/msgbatch_1/results"))).toHaveLength(1)
    const report = JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))
    expect(report.complete).toBe(true)
    expect(report.results.map((r: any) => [r.task, r.final_outcome, r.attempts.map((a: any) => a.batch_id)])).toEqual([
      ["t1", "working", ["msgbatch_1", "msgbatch_2"]],
      ["t2", "working", ["msgbatch_1"]],
      ["t3", "working", ["msgbatch_1", "msgbatch_2"]]
    ])
    // The batch found is in the checkpoint now: a later resume polls it without searching.
    const saved = Either.getOrThrow(parseCheckpoint(checkpoint, readFileSync(checkpoint, "utf8")))
    expect(submitted(saved).map((b) => [b.id, b.customIds.length])).toEqual([["msgbatch_1", 3], ["msgbatch_2", 2]])
  })

  it("a batch whose create call a kill cut off and that the provider does not have: its requests are submitted again, with one warning", async () => {
    const first = await start(failThenFix)
    const s = scratch(TASKS)
    const checkpoint = await killedWhileCreating(first, s)
    // Another server: no batch of the killed session's is there.
    const server = await start(failThenFix)
    const env = { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    const resumed = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05", "--resume", checkpoint]), { env })
    expect(resumed.stderr).not.toContain("ERROR")
    expect(resumed.code).toBe(0)
    expect(resumed.stderr.match(/WARNING: a batch was being created when an earlier session of this benchmark ended, and it was not found/g)).toHaveLength(1)
    expect(creates(server).map((r) => r.body.requests.length)).toEqual([3, 2])
    expect(JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8")).complete).toBe(true)
  })

  it("a create the provider refused (400) leaves nothing to look for: the resume submits its requests without listing batches or warning", async () => {
    const server = await start(failThenFix)
    server.batches.createStatus = 400
    const s = scratch(TASKS)
    const env = { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    const first = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]), { env })
    expect(first.code).not.toBe(0)
    expect(server.batches.created).toEqual([])
    const checkpoint = checkpointOf(s.out)
    const saved = Either.getOrThrow(parseCheckpoint(checkpoint, readFileSync(checkpoint, "utf8")))
    expect(saved.batches?.map((b) => [b.type, b.type === "refused" ? b.status : null])).toEqual([["submitting", null], ["refused", 400]])

    server.batches.createStatus = undefined
    const resumed = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05", "--resume", checkpoint, "--retry-errors"]), { env })
    expect(resumed.stderr).not.toContain("WARNING")
    expect(resumed.stderr).not.toContain("looking for it")
    expect(resumed.code).toBe(0)
    expect(server.batches.lists).toBe(0)
    // The refused create, then the resume's two waves.
    expect(creates(server).map((r) => r.body.requests.length)).toEqual([3, 3, 2])
    expect(server.batches.created).toEqual(["msgbatch_1", "msgbatch_2"])
    expect(JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8")).complete).toBe(true)
  })

  it("a key refused at the first create (401) stops the benchmark and leaves no checkpoint: no batch was made", async () => {
    const server = await start(failThenFix)
    server.batches.createStatus = 401
    const s = scratch(TASKS)
    const result = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]), {
      env: { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("HTTP 401")
    expect(readdirSync(s.out).filter((f) => f.endsWith(".jsonl"))).toEqual([])
  })

  it("Ctrl-C while some runs wait for the next wave and one backs off after an error: no wave goes out after it", async () => {
    // t1's request always fails inside its batch (529), so it waits out the retry policy's pause
    // while t2's and t3's repairs wait for it in the queue.
    const server = await start((request) => (expectedOf(request.body) === "11" ? { status: 529 } : { text: "exit 3" }))
    const s = scratch(TASKS)
    let pid: number | undefined
    const env = { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    const running = runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]), { env, onSpawn: (p) => (pid = p) })
    const deadline = Date.now() + 30_000
    while (!server.requests.some((r) => r.path.startsWith("/v1/messages/batches/msgbatch_3/results"))) {
      if (Date.now() > deadline) throw new Error("the third wave never ended")
      await new Promise((r) => setTimeout(r, 10))
    }
    // The repairs are queued; t1 waits out its third retry's pause (about 4 s) before it asks again.
    await new Promise((r) => setTimeout(r, 1000))
    expect(creates(server)).toHaveLength(3)
    process.kill(pid!, "SIGINT")
    const interrupted = await running
    expect(interrupted.code).toBe(130)
    // The runs that stopped were not a wave due: nothing is submitted (and paid for) on the way out.
    expect(creates(server)).toHaveLength(3)
  })

  it("--resume --retry-errors asks again for a request an earlier batch refused, instead of taking that batch's old error", async () => {
    // t2's first request is refused (400) once: its run ends in "error"; the credits topped up, say, the resume asks again.
    let refused = false
    const server = await start((request) => {
      const expected = expectedOf(request.body)
      if (expected === "22" && !refused) {
        refused = true
        return { status: 400 }
      }
      return { text: `echo ${expected}` }
    })
    const s = scratch(TASKS)
    const env = { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    const first = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]), { env })
    expect(first.code).not.toBe(0)
    expect(s.report().results.map((r: any) => r.final_outcome)).toEqual(["working", "error", "working"])
    const checkpoint = checkpointOf(s.out)
    const resumed = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05", "--resume", checkpoint, "--retry-errors"]), { env })
    expect(creates(server).map((r) => r.body.requests.length)).toEqual([3, 1])
    expect(resumed.code).toBe(0)
    const report = JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))
    expect(report.results.map((r: any) => [r.task, r.final_outcome])).toEqual([
      ["t1", "working"],
      ["t2", "working"],
      ["t3", "working"]
    ])
  })

  it("a key refused while a batch is polled stops the benchmark, and keeps the checkpoint that names the batch paid for", async () => {
    const server = await start(failThenFix)
    server.batches.pollStatus = 401
    const s = scratch(TASKS)
    const result = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]), {
      env: { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("HTTP 401")
    expect(creates(server)).toHaveLength(1)
    // The batch was created (and is billed): a resume with a working key must find it, not submit it again.
    const checkpoint = checkpointOf(s.out)
    const saved = Either.getOrThrow(parseCheckpoint(checkpoint, readFileSync(checkpoint, "utf8")))
    expect(submitted(saved).map((b) => b.id)).toEqual(["msgbatch_1"])
  })

  it("a batch canceled in the Console stops the benchmark (exit 130) without submitting its requests again; a resume does", async () => {
    const server = await start(failThenFix)
    server.batches.cancelAfter = 1
    const s = scratch(TASKS)
    const env = { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url }
    const result = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05"]), { env })
    expect(result.code).toBe(130)
    expect(result.stderr).toContain("ERROR: batch msgbatch_1 was canceled outside ilo-bench: 2 of its requests got no reply and were not submitted again")
    expect(creates(server)).toHaveLength(1)
    const checkpoint = checkpointOf(s.out)
    const partial = JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))
    expect(partial.complete).toBe(false)
    // The resume asks for the unprocessed requests again: that is what it is for.
    server.batches.cancelAfter = undefined
    const resumed = await runCli(s.argsFor(["--model", "haiku", "--batch", "--batch-poll", "0.05", "--resume", checkpoint]), { env })
    expect(resumed.code).toBe(0)
    expect(creates(server).length).toBeGreaterThan(1)
    const report = JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))
    expect(report.results.map((r: any) => r.final_outcome)).toEqual(["working", "working", "working"])
  })

  it("records and replays as interactive mode does: a batched recording replays offline, same results, same price", async () => {
    const server = await start(failThenFix)
    const s = scratch(TASKS)
    const cassette = join(s.dir, "batched.jsonl")
    const recorded = await s.run(server.url, ["--batch", "--batch-poll", "0.05", "--record", cassette])
    expect(recorded.code).toBe(0)
    expect(readFileSync(cassette, "utf8").trim().split("\n")).toHaveLength(5)
    const first = s.report()

    const again = scratch(TASKS)
    const replayed = await runCli(again.argsFor(["--model", "haiku", "--batch", "--replay", cassette]), { env: {} })
    expect(replayed.stderr).not.toContain("ERROR")
    expect(replayed.code).toBe(0)
    expect(creates(server)).toHaveLength(2)
    const second = again.report()
    expect(second.results.map(essence)).toEqual(first.results.map(essence))
    expect(second.results.map((r: any) => r.cost_usd)).toEqual(first.results.map((r: any) => r.cost_usd))
    expect(second.results.map((r: any) => r.attempts.map((a: any) => a.batch_id))).toEqual(first.results.map((r: any) => r.attempts.map((a: any) => a.batch_id)))
  })

  it("--provider openai: OpenAI's Batch API (a JSONL upload, then a batch), the same results as interactive mode", async () => {
    const script = (request: RecordedRequest): OpenAiReply => {
      const user = request.body.messages.find((m: any) => m.role === "user").content as string
      const expected = /Expected output: (.*)\n/.exec(user)?.[1] ?? ""
      return request.body.messages.length === 2 && expected !== "22" ? { text: "exit 3", promptTokens: 300, cachedTokens: 200 } : { text: `echo ${expected}`, promptTokens: 400, cachedTokens: 300 }
    }
    const interactive = await startFakeOpenAi(script)
    const batched = await startFakeOpenAi(script, { batches: true })
    const args = ["--provider", "openai", "--model", "gpt-4o-mini"]
    const a = scratch(TASKS)
    expect((await runCli(a.argsFor(args), { env: { OPENAI_BASE_URL: interactive.url } })).code).toBe(0)
    const b = scratch(TASKS)
    const result = await runCli(b.argsFor([...args, "--batch", "--batch-poll", "0.05"]), { env: { OPENAI_BASE_URL: batched.url } })
    expect(result.stderr).not.toContain("ERROR")
    expect(result.code).toBe(0)
    await Promise.all([interactive.close(), batched.close()])
    expect(batched.batches.created).toEqual(["batch_1", "batch_2"])
    expect(batched.requests.filter((r) => r.path.startsWith("/v1/chat/completions"))).toHaveLength(0)
    const sorted = (bodies: Array<unknown>) => bodies.map((x) => JSON.stringify(x)).sort()
    expect(sorted(batched.batches.requests.map((r) => r.body))).toEqual(sorted(interactive.requests.map((r) => r.body)))
    expect(b.report().results.map(essence)).toEqual(a.report().results.map(essence))
    expect(b.report().results.map((r: any) => r.attempts.map((x: any) => x.batch_id))).toEqual([["batch_1", "batch_2"], ["batch_1"], ["batch_1", "batch_2"]])
  })

  it("--provider openai: a batch whose create call a kill cut off is found among the server's batches on resume, as with Anthropic", async () => {
    const script = (request: RecordedRequest): OpenAiReply => {
      const user = request.body.messages.find((m: any) => m.role === "user").content as string
      const expected = /Expected output: (.*)\n/.exec(user)?.[1] ?? ""
      return request.body.messages.length === 2 && expected !== "22" ? { text: "exit 3" } : { text: `echo ${expected}` }
    }
    const server = await startFakeOpenAi(script, { batches: true })
    try {
      server.batches.createDelayMs = 5_000
      const args = ["--provider", "openai", "--model", "gpt-4o-mini", "--batch", "--batch-poll", "0.05"]
      const env = { OPENAI_BASE_URL: server.url }
      const s = scratch(TASKS)
      await signalWhileCreating(s.argsFor(args), env, () => server.batches.created.length, "SIGKILL")
      server.batches.createDelayMs = 0
      const checkpoint = checkpointOf(s.out)
      const resumed = await runCli(s.argsFor([...args, "--resume", checkpoint]), { env })
      expect(resumed.stderr).not.toContain("ERROR")
      expect(resumed.stderr).not.toContain("not found")
      expect(resumed.code).toBe(0)
      // batch_1 was the killed session's: only the repairs went in a new batch.
      expect(server.batches.created).toEqual(["batch_1", "batch_2"])
      expect(server.batches.lists).toBeGreaterThan(0)
      // Known from the list by the tag it was created with: its output was read once, to answer its requests.
      expect(server.requests.filter((r) => r.path.startsWith("/v1/files/batch_1-output/content"))).toHaveLength(1)
      const report = JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))
      expect(report.results.map((r: any) => r.attempts.map((a: any) => a.batch_id))).toEqual([["batch_1", "batch_2"], ["batch_1"], ["batch_1", "batch_2"]])
    } finally {
      await server.close()
    }
  })

  it("--provider openai: a batch's line that is not a chat completion fails that request (retried), as interactive mode does, instead of stopping the benchmark", async () => {
    let odd = false
    const batched = await startFakeOpenAi(
      (request) => {
        const user = request.body.messages.find((m: any) => m.role === "user").content as string
        const expected = /Expected output: (.*)\n/.exec(user)?.[1] ?? ""
        if (expected === "22" && !odd) {
          odd = true
          return { status: 200, body: { object: "chat.completion" } }
        }
        return { text: `echo ${expected}` }
      },
      { batches: true }
    )
    const s = scratch(TASKS)
    const result = await runCli(s.argsFor(["--provider", "openai", "--model", "gpt-4o-mini", "--batch", "--batch-poll", "0.05"]), { env: { OPENAI_BASE_URL: batched.url } })
    await batched.close()
    expect(result.stderr).not.toContain("ERROR")
    expect(result.code).toBe(0)
    expect(batched.batches.created).toEqual(["batch_1", "batch_2"])
    expect(s.report().results.map((r: any) => [r.task, r.final_outcome, r.api_retries])).toEqual([
      ["t1", "working", 0],
      ["t2", "working", 1],
      ["t3", "working", 0]
    ])
  })

  it("--dry-run prices the plan at batch prices", async () => {
    const s = scratch(TASKS)
    const [batched, listed] = await Promise.all([
      runCli(s.argsFor(["--model", "haiku", "--batch", "--dry-run"])),
      runCli(s.argsFor(["--model", "haiku", "--dry-run"]))
    ])
    expect(batched.code).toBe(0)
    const most = (out: string) => Number(/at most \$([\d.]+) at (?:batch|list) prices/.exec(out)?.[1])
    expect(batched.stdout).toContain("at batch prices")
    expect(listed.stdout).toContain("at list prices")
    expect(most(batched.stdout)).toBeCloseTo(most(listed.stdout) / 2, 1)
  })

  it("refuses --batch where it cannot keep its promise, in one line (exit 2)", async () => {
    const s = scratch(TASKS)
    // A chat completions server without a batch API (Ollama, vLLM, llama-server): stopped at once.
    const local = await startFakeOpenAi((r) => (r.path.startsWith("/v1/chat/completions") ? { text: "echo 11" } : { status: 404 }))
    const openai = await runCli(s.argsFor(["--provider", "openai", "--model", "llama3.2", "--batch"]), { env: { OPENAI_BASE_URL: local.url } })
    await local.close()
    expect(openai.code).toBe(2)
    expect(openai.stderr).toContain("no batch API at this address")
    const capped = await runCli(s.argsFor(["--model", "haiku", "--batch", "--max-cost", "1"]), { env: { ANTHROPIC_API_KEY: "k" } })
    expect(capped.code).toBe(2)
    expect(capped.stderr).toContain("--max-cost")
  })
})
