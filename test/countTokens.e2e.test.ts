import { readdirSync, readFileSync, truncateSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { languageOf, makeBench, programPrinting, TWO_TASKS } from "./support/bench.js"
import { runCli } from "./support/cli.js"
import { fakeTextTokens, isCountRequest, lastUserText, startFakeAnthropic, type RecordedRequest } from "./support/fakeAnthropic.js"
import { closedAfterEach } from "./support/scriptedServer.js"

const servers = closedAfterEach()

const tasks = TWO_TASKS

/** Python gets fib wrong once (a repair, so a second distinct program); everything else works at once. */
const model = (request: RecordedRequest) => {
  const language = languageOf(request)
  const text = lastUserText(request)
  const expected = text.includes("Fibonacci") || text.includes("55") ? "55" : "2"
  const wrong = language === "python" && text.startsWith("Task: Print the 10th")
  return { text: programPrinting(language, wrong ? "54" : expected) }
}

const start = async () => {
  const bench = makeBench(tasks)
  const server = await startFakeAnthropic(model)
  servers.push(server)
  return { bench, server, cassette: join(bench.dir, "run.jsonl"), env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url } }
}

const programTokens = (report: any) => report.results.map((r: any) => [r.final_program_tokens, ...r.attempts.map((a: any) => a.program_tokens)])

describe("run --count-tokens anthropic, through the built CLI", () => {
  it("counts every program and each language's documentation once, records the counts, and a replay with no key gives the same counts", async () => {
    const { bench, server, cassette, env } = await start()
    const flags = ["--model", "haiku", "--python", "--count-tokens", "anthropic"]
    const recorded = await runCli(bench.args(...flags, "--record", cassette), { env })
    expect(recorded.stderr).not.toContain("ERROR")
    expect(recorded.code).toBe(0)
    const [report] = bench.reports()
    const programs = new Set<string>()
    for (const r of report.results) {
      for (const a of r.attempts) {
        // The endpoint's count less the framing: the fake counts a text as one token per 4 characters.
        expect(a.program_tokens.anthropic).toBe(fakeTextTokens(a.program))
        expect(a.program_tokens.o200k_base).toBeGreaterThan(0)
        programs.add(a.program)
      }
      expect(r.final_program_tokens.anthropic).toBe(r.attempts.at(-1).program_tokens.anthropic)
    }
    expect(report.results.find((r: any) => r.language === "python" && r.task === "fib").attempts).toHaveLength(2)
    const counted = server.requests.filter(isCountRequest).map((r) => r.body.messages[0].content)
    // Each distinct program once, each language's documentation once, and the framing once (one model).
    expect(counted.filter((t) => programs.has(t)).sort()).toEqual([...programs].sort())
    expect(counted.filter((t) => t === ".")).toHaveLength(1)
    expect(counted).toHaveLength(programs.size + 2 + 1)
    const python = report.analysis.census.find((c: any) => c.language === "python")
    const docs = "(No formal language documentation available for python.)"
    expect(counted).toContain(docs)
    expect(python.doc_tokens.anthropic).toBe(fakeTextTokens(docs))
    expect(python.spec_tax.anthropic).toBe(3 * fakeTextTokens(docs))
    expect(bench.markdown()[0]).toMatch(/docs \(anthropic\)/)
    // The cassette holds the counts (by hash) beside the exchanges.
    const lines = readFileSync(cassette, "utf8").trim().split("\n").map((l) => JSON.parse(l))
    expect(lines.filter((l) => l.type === "count")).toHaveLength(counted.length)

    const asked = server.requests.length
    const replayed = await runCli(bench.args(...flags, "--replay", cassette))
    expect(replayed.stderr).not.toContain("WARN")
    expect(replayed.code).toBe(0)
    expect(server.requests.length).toBe(asked)
    const again = bench.reports()[1]
    expect(programTokens(again)).toEqual(programTokens(report))
    expect(again.analysis.census).toEqual(report.analysis.census)
  })

  it("a resume takes the counts its checkpoint holds and asks the endpoint for none of them again", async () => {
    const { bench, server, env } = await start()
    const flags = ["--model", "haiku", "--python", "--count-tokens", "anthropic"]
    expect((await runCli(bench.args(...flags), { env })).code).toBe(0)
    const checkpoint = join(bench.out, readdirSync(bench.out).find((f) => f.endsWith(".jsonl"))!)
    const text = readFileSync(checkpoint, "utf8")
    // Cut the checkpoint before its last run: that run goes on from its recorded replies.
    const lastRun = text.lastIndexOf('"type":"run"')
    truncateSync(checkpoint, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n", lastRun) + 1)))
    const before = server.requests.length
    // Resumed without counting, half its report would have counts and half not: refused, as any setting that changes results.
    const uncounted = await runCli(bench.args("--model", "haiku", "--python", "--resume", checkpoint), { env })
    expect(uncounted.code).toBe(2)
    expect(uncounted.stderr.trim().split("\n")).toEqual([
      `ERROR: cannot resume ${checkpoint}: token counting (--count-tokens): checkpoint anthropic, now none (--force resumes anyway)`
    ])
    expect(server.requests.length).toBe(before)
    const resumed = await runCli(bench.args(...flags, "--resume", checkpoint), { env })
    expect(resumed.stderr).toContain("3 of 4 runs already finished, 1 to run")
    expect(resumed.code).toBe(0)
    expect(server.requests.slice(before)).toEqual([])
    const report = JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))
    for (const r of report.results) for (const a of r.attempts) expect(a.program_tokens.anthropic).toBe(fakeTextTokens(a.program))
    // `report` reads the checkpoint, count lines and all.
    const remade = await runCli(["report", "--output-dir", join(bench.dir, "remade"), checkpoint])
    expect(remade.stderr).toBe("")
    expect(readFileSync(join(bench.dir, "remade", readdirSync(join(bench.dir, "remade")).find((f) => f.endsWith(".md"))!), "utf8")).toContain("programs (anthropic)")
  })

  it("a benchmark begun without --count-tokens is not resumed with it (exit 2, one line); the checkpoint records none", async () => {
    const { bench, server, env } = await start()
    expect((await runCli(bench.args("--model", "haiku", "--python"), { env })).code).toBe(0)
    const checkpoint = join(bench.out, readdirSync(bench.out).find((f) => f.endsWith(".jsonl"))!)
    const before = server.requests.length
    const refused = await runCli(bench.args("--model", "haiku", "--python", "--count-tokens", "anthropic", "--resume", checkpoint), { env })
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split("\n")).toEqual([
      `ERROR: cannot resume ${checkpoint}: token counting (--count-tokens): checkpoint none, now anthropic (--force resumes anyway)`
    ])
    expect(refused.stdout).toBe("")
    expect(server.requests.length).toBe(before)
  })

  it("a count the endpoint refuses is unknown: null, one warning, a note, and the run goes on", async () => {
    const bench = makeBench(tasks)
    const server = await startFakeAnthropic(model, (request) =>
      request.body.messages[0].content.includes("55") ? { status: 400 } : { tokens: 5 + fakeTextTokens(request.body.messages[0].content) }
    )
    servers.push(server)
    const result = await runCli(bench.args("--model", "haiku", "--count-tokens", "anthropic"), {
      env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url }
    })
    expect(result.code).toBe(0)
    expect(result.stderr.match(/--count-tokens anthropic: the token counting endpoint failed/g)).toHaveLength(1)
    const [report] = bench.reports()
    const fib = report.results.find((r: any) => r.task === "fib")
    expect(fib.final_outcome).toBe("working")
    expect(fib.final_program_tokens.anthropic).toBeNull()
    expect(report.results.find((r: any) => r.task === "count").final_program_tokens.anthropic).toBe(fakeTextTokens("echo '2'"))
    expect(report.analysis.census[0].program_tokens.anthropic).toBeNull()
    expect(report.notes.join(" ")).toMatch(/could not count 1 text\(s\).*"unknown"/)
    expect(bench.markdown()[0]).toContain("unknown")
  })

  it("counts beside the loop: a slow count does not hold up the run's next attempt", async () => {
    const bench = makeBench(tasks.slice(0, 1))
    // Long beside the run's own time even on a loaded machine (two replies, two python programs).
    const slow = 6000
    const server = await startFakeAnthropic(model, (request) => ({
      tokens: 5 + fakeTextTokens(request.body.messages[0].content),
      ...(request.body.messages[0].content.includes("54") ? { delayMs: slow } : {})
    }))
    servers.push(server)
    const result = await runCli(bench.args("--model", "haiku", "--lang", "python", "--count-tokens", "anthropic"), {
      env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url }
    })
    expect(result.code).toBe(0)
    const countOfWrong = server.requests.find((r) => isCountRequest(r) && r.body.messages[0].content.includes("54"))!
    const repair = server.requests.find((r) => !isCountRequest(r) && languageOf(r) === "python" && lastUserText(r).startsWith("The previous"))!
    // The repair went out while the first program's count was still being made.
    expect(repair.at).toBeLessThan(countOfWrong.at + slow)
    const [report] = bench.reports()
    const python = report.results.find((r: any) => r.language === "python")
    expect(python.attempts).toHaveLength(2)
    expect(python.attempts.map((a: any) => a.program_tokens.anthropic)).toEqual(python.attempts.map((a: any) => fakeTextTokens(a.program)))
    // The run's own time does not include the wait for its counts: had it waited, it would have
    // lasted at least from its first request to the slow count's answer.
    const first = server.requests.find((r) => !isCountRequest(r) && languageOf(r) === "python")!
    expect(python.elapsed_s * 1000).toBeLessThan(countOfWrong.at + slow - first.at)
  })

  it("refuses --count-tokens anthropic without a key, and with --provider openai, in one line (exit 2)", async () => {
    const bench = makeBench(tasks)
    const noKey = await runCli(bench.args("--model", "haiku", "--count-tokens", "anthropic"))
    expect(noKey.code).toBe(2)
    expect(noKey.stderr.trim().split("\n")).toHaveLength(1)
    expect(noKey.stderr).toContain("ANTHROPIC_API_KEY")
    const openai = await runCli(bench.args("--provider", "openai", "--model", "gpt-4o-mini", "--count-tokens", "anthropic"), { env: { OPENAI_API_KEY: "k" } })
    expect(openai.code).toBe(2)
    expect(openai.stderr.trim()).toBe(
      "ERROR: --count-tokens: anthropic counts with Anthropic's token counting endpoint, which needs --provider anthropic (and ANTHROPIC_API_KEY)"
    )
  })
})
