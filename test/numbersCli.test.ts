import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { languageOf, makeBench, programPrinting } from "./support/bench.js"
import { runCli } from "./support/cli.js"
import { startFakeAnthropic } from "./support/fakeAnthropic.js"
import { closedAfterEach } from "./support/scriptedServer.js"

const servers = closedAfterEach()

const tasks = [{ id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" }]

/** A Python program that prints 55 on its 1st, 3rd, ... run and 54 on the others (a counter in `file`). */
const alternating = (file: string) =>
  [
    "import os",
    `p = ${JSON.stringify(file)}`,
    "n = int(open(p).read()) if os.path.exists(p) else 0",
    "open(p, 'w').write(str(n + 1))",
    "print(55 if n % 2 == 0 else 54)"
  ].join("\n")

const html = (dir: string) => readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith(".html") && !f.includes(".report."))!), "utf8")

describe("run --confirm N", () => {
  it("a program whose output changes between reruns is marked flaky in the JSON, stdout and every report", async () => {
    const bench = makeBench(tasks)
    const counter = join(bench.dir, "runs")
    const server = await startFakeAnthropic((req) => ({
      text: languageOf(req) === "python" ? alternating(counter) : programPrinting(languageOf(req), "55")
    }))
    servers.push(server)
    const env = { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url }
    // The program keeps its count in the test's directory, which a sandbox (rightly) keeps it from.
    const r = await runCli(bench.args("--model", "haiku", "--python", "--confirm", "3", "--sandbox", "none"), { env })
    expect(r.stderr).not.toContain("ERROR")
    expect(r.code).toBe(0)
    expect(readFileSync(counter, "utf8")).toBe("3")
    const [report] = bench.reports()
    expect(report.config.confirm).toBe(3)
    const python = report.results.find((x: any) => x.language === "python")
    const ilo = report.results.find((x: any) => x.language === "ilo")
    // The outcome stays the first run's (the seed's rule); the reruns say it does not hold.
    expect(python).toMatchObject({ final_outcome: "working", flaky: true })
    expect(python.attempts[0].confirmations).toEqual({ runs: 3, working: 2 })
    expect(ilo).toMatchObject({ final_outcome: "working", flaky: false })
    expect(ilo.attempts[0].confirmations).toEqual({ runs: 3, working: 3 })
    expect(r.stdout).toContain("2/2 runs succeeded.\n1 of them flaky (--confirm): fib/python/haiku.")
    expect(bench.markdown()[0]).toContain("1 flaky run(s)")
    expect(bench.markdown()[0]).toContain("**working** (flaky")
    expect(html(bench.out)).toContain("working (flaky)")
    expect(html(bench.out)).toContain('<span class="ci">(1 flaky)</span>')

    // Without --confirm the same program runs once, as the seed ran it.
    const again = await runCli(bench.args("--model", "haiku", "--python", "--sandbox", "none"), { env })
    expect(again.code).toBe(0)
    expect(bench.reports()[1].results.find((x: any) => x.language === "python")).toMatchObject({ flaky: false })
    expect(again.stdout).not.toContain("flaky")
  })

  it("refuses --confirm 0", async () => {
    const bench = makeBench(tasks)
    const r = await runCli(bench.args("--confirm", "0", "--dry-run"))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("--confirm")
  })

  it("refuses --confirm above 1000, as --trials", async () => {
    const bench = makeBench(tasks)
    const r = await runCli(bench.args("--confirm", "1000000000", "--dry-run"))
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe("ERROR: --confirm: must be at most 1000, got 1000000000")
  })
})

describe("tasks --check --repeat N", () => {
  it("reports a reference solution that does not work every time as flaky", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ilo-bench-repeat-"))
    const file = join(dir, "tasks.json")
    writeFileSync(file, JSON.stringify({ tasks: [{ id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" }] }))
    mkdirSync(join(dir, "solutions"))
    writeFileSync(join(dir, "solutions", "fib.py"), alternating(join(dir, "runs")))
    const once = await runCli(["tasks", "--check", "--tasks-file", file])
    expect(once.code).toBe(0)
    writeFileSync(join(dir, "runs"), "0")
    const r = await runCli(["tasks", "--check", "--repeat", "3", "--tasks-file", file])
    expect(r.code).toBe(2)
    expect(r.stdout).toMatch(/solutions\/fib\.py: flaky: worked 2 of 3 runs; otherwise partial: 54$/m)
  })
})

describe("a request abandoned after sending", () => {
  it("is recorded on its run (when, why, prompt size) and every report says its billing is unknown", async () => {
    const bench = makeBench(tasks)
    const server = await startFakeAnthropic((req, n) => (n === 0 ? { hang: true } : { text: programPrinting(languageOf(req), "55") }))
    servers.push(server)
    const env = { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url }
    const r = await runCli(bench.args("--model", "haiku", "--request-timeout", "0.5", "--concurrency", "1"), { env })
    expect(r.stderr).not.toContain("ERROR")
    expect(r.code).toBe(0)
    const [report] = bench.reports()
    const [run] = report.results
    expect(run).toMatchObject({ final_outcome: "working", api_retries: 1 })
    expect(run.abandoned_requests).toHaveLength(1)
    expect(run.abandoned_requests[0]).toMatchObject({ attempt: 1, reason: "timeout" })
    // The prompt the abandoned request sent, as its retry sent it again: system and messages.
    const sent = server.requests[1]!.body
    const system = typeof sent.system === "string" ? sent.system : sent.system.map((b: any) => b.text).join("")
    expect(run.abandoned_requests[0].prompt_chars).toBe(system.length + sent.messages.reduce((n: number, m: any) => n + m.content.length, 0))
    expect(r.stdout).toContain("1 model request(s) abandoned after sending (timeout, lost connection): billing unknown")
    expect(bench.markdown()[0]).toContain("Billing unknown: 1 model request(s) in 1 run(s) were abandoned")
    expect(html(bench.out)).toContain("Billing unknown: 1 model request(s)")
    expect(html(bench.out)).toContain("1 request(s) abandoned after sending: billing unknown, not counted")
    // Re-rendered from the JSON, and from the checkpoint, the reports still say so.
    const json = join(bench.out, readdirSync(bench.out).find((f) => f.endsWith(".json"))!)
    const jsonl = json.replace(/\.json$/, ".jsonl")
    for (const source of [json, jsonl]) {
      const out = mkdtempSync(join(tmpdir(), "ilo-bench-rerender-"))
      const again = await runCli(["report", "--output-dir", out, source])
      expect(again.code).toBe(0)
      for (const f of readdirSync(out)) expect(readFileSync(join(out, f), "utf8")).toContain("Billing unknown: 1 model request(s)")
    }
    // And a comparison with it says which side counts low.
    const out = mkdtempSync(join(tmpdir(), "ilo-bench-compare-"))
    expect((await runCli(["compare", "--output-dir", out, json, jsonl])).code).toBe(0)
    for (const f of readdirSync(out)) expect(readFileSync(join(out, f), "utf8")).toMatch(/B has 1 model request\(s\) abandoned after sending/)
  })
})
