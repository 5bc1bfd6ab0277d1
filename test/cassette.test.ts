import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { languageOf, makeBench, programPrinting, TWO_TASKS } from "./support/bench.js"
import { runCli } from "./support/cli.js"
import { lastUserText, startFakeAnthropic, type RecordedRequest, type Reply } from "./support/fakeAnthropic.js"
import { closedAfterEach } from "./support/scriptedServer.js"

const servers = closedAfterEach()

const tasks = TWO_TASKS

/** Results without what a replay may change: wall times and program durations. */
const comparable = (results: Array<any>) =>
  results.map(({ wall_time_s: _w, elapsed_s: _e, attempts, ...rest }) => ({
    ...rest,
    attempts: attempts.map(({ duration_ms: _d, ...a }: any) => a)
  }))

/**
 * A model with a bit of everything: an overloaded first call (retried after retry-after), a
 * wrong first ilo program for fib (a repair), varying token counts, and trials that differ.
 */
const model = () => {
  let calls = 0
  return (req: RecordedRequest, n: number): Reply => {
    if (n === 0) return { status: 529, headers: { "retry-after-ms": "20" } }
    calls++
    const language = languageOf(req)
    const text = lastUserText(req)
    const expected = text.includes("Fibonacci") ? "55" : "2"
    const wrong = language === "ilo" && text.startsWith("Task: Print the 10th") && calls % 3 === 1
    return { text: programPrinting(language, wrong ? "54" : expected), inputTokens: 300 + calls, outputTokens: 20 + (calls % 7) }
  }
}

/** A scratch benchmark recording against a scripted model: its cassette's path and the environment that reaches the model. */
const recording = async (script: Parameters<typeof startFakeAnthropic>[0] = model()) => {
  const bench = makeBench(tasks)
  const server = await startFakeAnthropic(script)
  servers.push(server)
  return { bench, server, cassette: join(bench.dir, "run.jsonl"), env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url } }
}

describe("record and replay", () => {
  it("a recorded run replays offline, with no key, to identical results", async () => {
    const { bench, server, cassette, env } = await recording()
    const recorded = await runCli(bench.args("--model", "haiku", "--python", "--trials", "2", "--record", cassette), { env })
    expect(recorded.stderr).not.toContain("ERROR")
    expect(recorded.code).toBe(0)
    const lines = readFileSync(cassette, "utf8").trim().split("\n").map((l) => JSON.parse(l))
    expect(lines).toHaveLength(server.requests.length)
    expect(lines[0]).toMatchObject({ outcome: { _tag: "Error", kind: "overloaded", status: 529 } })
    expect(lines[1]).toMatchObject({ request: { provider: "anthropic", model: "claude-haiku-4-5", max_tokens: 1024 }, outcome: { _tag: "Reply" } })
    expect(readFileSync(cassette, "utf8")).not.toContain("test-key")
    await server.close()

    // A cassette is .jsonl like a checkpoint: given to report, it is named as what it is, in one line.
    const misread = await runCli(["report", "--output-dir", join(bench.dir, "misread"), cassette])
    expect(misread.code).toBe(2)
    const errors = misread.stderr.split("\n").filter((l) => l.includes("ERROR"))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(`line 1 is a cassette's (a --record output), not a checkpoint header: replay it with \`run --replay ${cassette}\``)

    // No server, no key: every answer comes from the cassette.
    const replayed = await runCli(bench.args("--model", "haiku", "--python", "--trials", "2", "--replay", cassette))
    expect(replayed.stderr).not.toContain("ERROR")
    expect(replayed.code).toBe(0)
    const [first, second] = bench.reports()
    expect(second.results).toHaveLength(8)
    expect(comparable(second.results)).toEqual(comparable(first.results))
    expect(first.results.some((r: any) => r.attempts_total === 2)).toBe(true)
    expect(first.results.some((r: any) => r.api_retries === 1)).toBe(true)
  })

  it("a run whose programs crashed (tracebacks naming their scratch directories) replays offline to identical results", async () => {
    // Each leg's first program crashes: Python with a traceback, JavaScript with a stack trace, ilo
    // (bash underneath) with an error naming its file. The repair asks again with that error.
    const crashing: Record<string, string> = {
      python: "def f():\n    raise ValueError('boom')\nf()",
      javascript: "function f() { throw new Error('boom') }\nf()",
      ilo: "cat ./no-such-file-here"
    }
    const { bench, server, cassette, env } = await recording((req) => {
      const language = languageOf(req)
      const repair = lastUserText(req).startsWith("The previous")
      return { text: repair ? programPrinting(language, "55") : crashing[language]!, inputTokens: 300, outputTokens: 20 }
    })
    const flags = ["--model", "haiku", "--task", "fib", "--lang", "python", "--lang", "javascript"]
    const recorded = await runCli(bench.args(...flags, "--record", cassette), { env })
    expect(recorded.stderr).not.toContain("ERROR")
    expect(recorded.code).toBe(0)
    const [first] = bench.reports()
    expect(first.results.map((r: any) => [r.language, r.final_outcome, r.attempts_total])).toEqual([
      ["ilo", "working", 2],
      ["python", "working", 2],
      ["javascript", "working", 2]
    ])
    // The model was shown one fixed path, not the random directory the program ran in.
    const python = first.results.find((r: any) => r.language === "python")
    expect(python.attempts[0].error_detail).toContain('File "/tmp/ilo-bench/program.py", line 2')
    for (const r of first.results) expect(r.attempts[0].error_detail).not.toMatch(/ilo-bench-/)
    await server.close()

    const replayed = await runCli(bench.args(...flags, "--replay", cassette))
    expect(replayed.stderr).not.toContain("ERROR")
    expect(replayed.code).toBe(0)
    const [, second] = bench.reports()
    expect(comparable(second.results)).toEqual(comparable(first.results))
  })

  it("a run recorded with --cache cold replays offline: the cache-buster nonce is not part of the request's key", async () => {
    const { bench, server, cassette, env } = await recording()
    const flags = ["--model", "haiku", "--python", "--cache", "cold"]
    const recorded = await runCli(bench.args(...flags, "--record", cassette), { env })
    expect(recorded.code).toBe(0)
    // Every attempt was sent with a nonce of its own (the retry of the overloaded first call kept its own): the cache was defeated.
    const nonces = server.requests.map((r) => /^\[cache-buster (\S+)\]/.exec(typeof r.body.system === "string" ? r.body.system : r.body.system[0].text)?.[1])
    expect(nonces.every((n) => n !== undefined)).toBe(true)
    expect(new Set(nonces).size).toBe(nonces.length - 1)
    await server.close()
    const replayed = await runCli(bench.args(...flags, "--replay", cassette))
    expect(replayed.stderr).not.toContain("ERROR")
    expect(replayed.code).toBe(0)
    const [first, second] = bench.reports()
    expect(comparable(second.results)).toEqual(comparable(first.results))
  })

  it("the command printed to run the errors again goes on recording into the same cassette", async () => {
    let down = true
    const live = model()
    // The first benchmark: every request for count is refused, so its run ends in error.
    const { bench, cassette, env } = await recording((req, n) => (down && lastUserText(req).includes("vowels") ? { status: 400 } : live(req, n)))
    const first = await runCli(bench.args("--model", "haiku", "--record", cassette), { env })
    expect(first.code).toBe(3)
    const recorded = readFileSync(cassette, "utf8")
    const hint = first.stderr.trim().split("\n").at(-1)!.trim()
    // The command as the tests start it (node and the built script), so the hint runs as printed.
    expect(hint).toMatch(/^node dist\/bin\.js run .*--record \S+ .*--resume \S+ --retry-errors$/)
    down = false
    const again = await runCli(hint.split(" ").slice(2), { env })
    expect(again.stderr).not.toContain("ERROR")
    expect(again.code).toBe(0)
    // Appended to, not started afresh: the first benchmark's exchanges, then the run asked again.
    const now = readFileSync(cassette, "utf8")
    expect(now.startsWith(recorded)).toBe(true)
    const added = now.slice(recorded.length).trim().split("\n").map((l) => JSON.parse(l))
    expect(added.length).toBeGreaterThan(0)
    expect(added.every((e) => e.outcome._tag === "Reply" && JSON.stringify(e.request).includes("vowels"))).toBe(true)
  })

  it("a cassette whose last line was cut short (a crash while recording) is read without it, and mended before anything is appended", async () => {
    const { bench, cassette, env } = await recording()
    expect((await runCli(bench.args("--model", "haiku", "--record", cassette), { env })).code).toBe(0)
    const whole = readFileSync(cassette, "utf8")
    writeFileSync(cassette, whole.slice(0, -40))
    const topUp = await runCli(bench.args("--model", "haiku", "--replay", cassette, "--replay-fallthrough"), { env })
    expect(topUp.code).toBe(0)
    expect(topUp.stderr).toMatch(/WARNING: cassette .*run\.jsonl: line \d+ was cut short \(a crash while writing it\); ignoring it/)
    // Every line whole again: the cut one went, the exchange it held was asked again and appended.
    const lines = readFileSync(cassette, "utf8").trim().split("\n")
    expect(lines.every((l) => JSON.parse(l) !== null)).toBe(true)
    expect(lines).toHaveLength(whole.trim().split("\n").length)
    const offline = await runCli(bench.args("--model", "haiku", "--replay", cassette))
    expect(offline.code).toBe(0)
  })

  it("a request the cassette lacks stops the replay with one line naming task, language and attempt", async () => {
    const { bench, cassette, env } = await recording()
    await runCli(bench.args("--model", "haiku", "--task", "fib", "--record", cassette), { env })
    const missing = await runCli(bench.args("--model", "haiku", "--task", "count", "--replay", cassette))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/ERROR: --replay .*run\.jsonl has no recorded exchange for task count, language ilo, model haiku, trial 1, attempt 1/)
    expect(bench.reports()).toHaveLength(1)
  })

  it("a replay miss says so when the cassette is empty, or holds another provider's exchanges", async () => {
    const { bench, cassette, env } = await recording()
    const empty = join(bench.dir, "empty.jsonl")
    writeFileSync(empty, "")
    const none = await runCli(bench.args("--model", "haiku", "--task", "fib", "--replay", empty))
    expect(none.code).toBe(2)
    expect(none.stderr).toContain("(the cassette holds no exchange; --replay-fallthrough asks the live provider)")
    await runCli(bench.args("--model", "haiku", "--task", "fib", "--record", cassette), { env })
    const other = await runCli(bench.args("--provider", "openai", "--model", "haiku", "--task", "fib", "--replay", cassette))
    expect(other.code).toBe(2)
    expect(other.stderr).toContain("it holds anthropic exchanges, and this run asks openai: give --provider anthropic")
  })

  it("--replay-fallthrough asks the live provider for what is missing and records it", async () => {
    const { bench, server, cassette, env } = await recording()
    await runCli(bench.args("--model", "haiku", "--task", "fib", "--record", cassette), { env })
    const before = server.requests.length
    const topUp = await runCli(bench.args("--model", "haiku", "--replay", cassette, "--replay-fallthrough"), { env })
    expect(topUp.code).toBe(0)
    // fib came from the cassette; only count went to the server.
    const live = server.requests.slice(before)
    expect(live.length).toBeGreaterThan(0)
    expect(live.every((r) => lastUserText(r).includes("vowels"))).toBe(true)
    await server.close()
    const offline = await runCli(bench.args("--model", "haiku", "--replay", cassette))
    expect(offline.code).toBe(0)
    const reports = bench.reports()
    expect(comparable(reports[2].results)).toEqual(comparable(reports[1].results))
  })

  it("--record with --replay writes a cassette that replays the whole run on its own", async () => {
    const { bench, server, env } = await recording()
    const first = join(bench.dir, "fib.jsonl")
    const whole = join(bench.dir, "whole.jsonl")
    await runCli(bench.args("--model", "haiku", "--task", "fib", "--record", first), { env })
    const fibExchanges = server.requests.length
    const topUp = await runCli(bench.args("--model", "haiku", "--replay", first, "--replay-fallthrough", "--record", whole), { env })
    expect(topUp.code).toBe(0)
    const live = server.requests.length - fibExchanges
    expect(live).toBeGreaterThan(0)
    // The replayed file is left as it was; the new one has every exchange of the run, each once.
    expect(readFileSync(first, "utf8").trim().split("\n")).toHaveLength(fibExchanges)
    const lines = readFileSync(whole, "utf8").trim().split("\n").map((l) => JSON.parse(l))
    expect(lines).toHaveLength(fibExchanges + live)
    expect(new Set(lines.map((l) => l.task))).toEqual(new Set(["fib", "count"]))
    await server.close()
    const offline = await runCli(bench.args("--model", "haiku", "--replay", whole))
    expect(offline.stderr).not.toContain("ERROR")
    expect(offline.code).toBe(0)
    const reports = bench.reports()
    expect(comparable(reports[2].results)).toEqual(comparable(reports[1].results))
  })

  it("a cassette that is not JSON Lines is refused with one line saying so", async () => {
    const bench = makeBench(tasks)
    const notCassette = join(bench.dir, "notes.txt")
    writeFileSync(notCassette, "hello\n")
    const r = await runCli(bench.args("--replay", notCassette))
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toMatch(/^ERROR: cassette \S+notes\.txt: line 1 is not a recorded exchange: not JSON \(Unexpected token 'h', "hello" is not valid JSON\)$/)
  })

  it("never records over an existing cassette", async () => {
    const bench = makeBench(tasks)
    const cassette = join(bench.dir, "old.jsonl")
    writeFileSync(cassette, '{"paid": true}\n')
    const result = await runCli(bench.args("--record", cassette), { env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: "http://127.0.0.1:9" } })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("already exists")
    expect(readFileSync(cassette, "utf8")).toBe('{"paid": true}\n')
  })
})
