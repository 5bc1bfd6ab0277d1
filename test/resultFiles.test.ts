import { Ajv } from "ajv"
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { languageOf, makeBench, programPrinting } from "./support/bench.js"
import { root, runCli } from "./support/cli.js"
import { startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"
import { seedFile, seedRow, tempDir, traceStep, tracedFile, tracedRow, writeFixture } from "./support/resultFixtures.js"

// One real run (stand-in ilo, scripted model) gives a report and a checkpoint as this version writes them.
let server: FakeServer
let reportFile: string
let checkpointFile: string
let report: any

beforeAll(async () => {
  server = await startFakeAnthropic((req) => ({ text: programPrinting(languageOf(req), "55") }))
  const bench = makeBench([
    { id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" },
    { id: "five", description: "Print 55 again.", expected_output: "55" }
  ])
  const r = await runCli(bench.args("--model", "haiku", "--python"), { env: { ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: server.url } })
  expect(r.code).toBe(0)
  const files = readdirSync(bench.out)
  reportFile = join(bench.out, files.find((f) => f.endsWith(".json"))!)
  checkpointFile = join(bench.out, files.find((f) => f.endsWith(".jsonl"))!)
  report = JSON.parse(readFileSync(reportFile, "utf8"))
}, 60_000)

afterAll(async () => {
  await server.close()
})

describe("ilo-bench schema", () => {
  it("prints a JSON Schema that this version's reports satisfy, and that refuses a report missing a field", async () => {
    const r = await runCli(["schema"])
    expect(r.code).toBe(0)
    const schema = JSON.parse(r.stdout)
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#")
    expect(Object.keys(schema.$defs)).toEqual(expect.arrayContaining(["IloBenchReport", "RunResult", "RunConfig"]))
    const validate = new Ajv({ strict: false }).compile(schema)
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true)
    const { planned_runs: _, ...withoutPlan } = report
    expect(validate(withoutPlan)).toBe(false)
    const badRun = { ...report, results: [{ ...report.results[0], final_outcome: "fine" }] }
    expect(validate(badRun)).toBe(false)
  })
})

describe("ilo-bench validate", () => {
  it("passes this project's own report and checkpoint", async () => {
    const r = await runCli(["validate", reportFile, checkpointFile])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${reportFile}: ok (ilo-bench ${report.harness_version}, 4 runs)\n${checkpointFile}: ok (ilo-bench checkpoint, 4 runs)\n`)
  })

  it("a checkpoint with edited lines: says which lines it left out as unsigned, as report does, before the runs missing", async () => {
    const dir = tempDir()
    const lines = readFileSync(checkpointFile, "utf8").trimEnd().split("\n")
    const at = lines.findIndex((l) => JSON.parse(l).type === "run")
    const edited = JSON.parse(lines[at]!)
    // Its outcome changed by hand, its signature kept: it no longer matches, nor (the chain broken) do the lines after it.
    lines[at] = JSON.stringify({ ...edited, result: { ...edited.result, final_outcome: "failed", attempts_to_success: null, success_rate: 0 } })
    const file = join(dir, "edited.jsonl")
    writeFileSync(file, lines.join("\n") + "\n")
    const r = await runCli(["validate", file])
    expect(r.code).toBe(1)
    const out = r.stdout.trim().split("\n")
    const refused = lines.length - at
    expect(out[0]).toBe(
      `${file}: checkpoint ${file}: ${refused} line(s) were not written by the ilo-bench that owns it (their signature does not match) and are left out: line ${Array.from({ length: Math.min(refused, 5) }, (_, i) => at + 1 + i).join(", ")}${refused > 5 ? ", ..." : ""}`
    )
    // The first run line was the one edited: no run is left.
    expect(out).toContain(`${file}: the plan had 4 runs and the file has 0: rates over it are of a benchmark that did not finish`)
  })

  it("flags runs failed after attempts cut at max_tokens, unpriced costs summed as 0, and a plan with runs missing", async () => {
    const dir = tempDir()
    const [first, ...rest] = report.results
    const cut = {
      ...first,
      final_outcome: "failed",
      attempts_to_success: null,
      success_rate: 0,
      truncated_attempts: 1,
      finish_reasons: ["max_tokens"],
      attempts: [{ ...first.attempts[0], stop_reason: "max_tokens", outcome: "failed" }]
    }
    const unpriced = { ...rest[0], cost_usd: 0.001, attempts: rest[0].attempts.map((a: any) => ({ ...a, cost_usd: null })) }
    const file = writeFixture(dir, "cut.json", { ...report, complete: false, results: [cut, unpriced, ...rest.slice(1, 2)] })
    const r = await runCli(["validate", file])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe("")
    const lines = r.stdout.trim().split("\n")
    expect(lines).toEqual([
      `${file}: 1 run(s) counted as ${cut.language}'s failures had attempts cut at max_tokens (1024): they measure the token cap, not the language (${cut.task}/haiku)`,
      `${file}: 1 run(s) have a cost although some of their attempts are unpriced: the unpriced ones were summed as $0 (${unpriced.task}/haiku)`,
      `${file}: the plan had 4 runs and the file has 3: rates over it are of a benchmark that did not finish`,
      `${file}: 1 task x language x model cell(s) have no run (five/python/haiku): totals compare different task sets`
    ])
  })

  it("flags the ilo harness's thinking totals that count unknown attempts as 0, and $0 for tokens spent", async () => {
    const dir = tempDir()
    const file = writeFixture(
      dir,
      "traced.json",
      tracedFile([
        tracedRow("t1", "ilo", [traceStep(1, "working", 90)]),
        tracedRow("t1", "python", [traceStep(1, "failed", null), traceStep(2, "working", 10)], { cost_usd: 0 })
      ])
    )
    const r = await runCli(["validate", file])
    expect(r.code).toBe(1)
    expect(r.stdout.trim().split("\n")).toEqual([
      `${file}: 1 run(s) cost $0 for the tokens they used: an unpriced model summed as $0 (t1/haiku)`,
      `${file}: 1 run(s) give a thinking (or code) token total although some attempts' thinking is unknown: those attempts were counted as 0 (t1/haiku)`
    ])
  })

  it("reads a checkpoint line by line: one larger than a file read whole may be (64 MiB) is checked, its runs' attempts read from their lines", async () => {
    const dir = tempDir()
    const [headerLine, ...rest] = readFileSync(checkpointFile, "utf8").trimEnd().split("\n")
    // Unsigned (an older harness's): the lines made here are read as they are.
    const { signing_key: _key, mac: _mac, ...header } = JSON.parse(headerLine!)
    const run = rest.map((l) => JSON.parse(l)).find((l) => l.type === "run").result
    const program = "# " + "x".repeat(1024 * 1024) + "\n"
    const lines = [JSON.stringify(header)]
    for (let i = 0; i < 70; i++) {
      const cut = i === 69
      const attempts = run.attempts.map((a: any) => ({ ...a, program, ...(cut ? { stop_reason: "max_tokens", outcome: "failed" } : {}) }))
      lines.push(JSON.stringify({ type: "run", result: { ...run, task: `t${i}`, attempts, ...(cut ? { final_outcome: "failed", attempts_to_success: null, success_rate: 0 } : {}) } }))
    }
    const file = join(dir, "big.jsonl")
    writeFileSync(file, lines.join("\n") + "\n")
    lines.length = 0
    expect(statSync(file).size).toBeGreaterThan(64 * 1024 * 1024)
    const r = await runCli(["validate", file])
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe(
      `${file}: 1 run(s) counted as ${run.language}'s failures had attempts cut at max_tokens (${header.config.max_tokens}): they measure the token cap, not the language (t69/haiku)\n`
    )
    expect(r.code).toBe(1)
  }, 60_000)

  it("exits 2 with one line for a file it cannot read or decode, whatever the other files say", async () => {
    const dir = tempDir()
    const notJson = writeFixture(dir, "broken.json", "{ not json")
    const { config: _, ...noConfig } = report
    const stripped = writeFixture(dir, "stripped.json", noConfig)
    const seed = writeFixture(dir, "seed.json", seedFile([seedRow("t1", "ilo", "m", "working")]))
    const r = await runCli(["validate", seed, notJson, join(dir, "missing.json"), stripped])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe(`${seed}: ok (closed-loop-bench.py (seed), 1 runs)\n`)
    expect(r.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^ERROR: results file ${notJson}: not JSON \\(.+\\)$`)),
      `ERROR: results file ${join(dir, "missing.json")}: not found`,
      `ERROR: results file ${stripped}: does not match the ilo-bench report schema: field 'config' is missing`
    ])
  })
})

describe("report reads the ilo project's later format", () => {
  it("renders attempt traces, thinking and code tokens, served models and lang_arms", async () => {
    const dir = tempDir()
    const file = writeFixture(
      dir,
      "closed-loop-fixture.json",
      tracedFile([
        tracedRow("t1", "ilo", [traceStep(1, "working", 90)]),
        tracedRow("t1", "python", [traceStep(1, "failed", null), traceStep(2, "working", 10, { served_model: "claude-haiku-4-5-20251001" })])
      ])
    )
    const r = await runCli(["report", file])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const html = readFileSync(join(dir, "closed-loop-fixture.report.html"), "utf8")
    expect(html).toContain("closed-loop-bench.py (with attempt trace)")
    expect(html).toContain("lang_arms")
    expect(html).toContain("ILO-T004 undefined variable")
    expect(html).toContain("thinking unknown")
    expect(html).toContain("served by claude-haiku-4-5, claude-haiku-4-5-20251001")
    expect(html).toContain("code tokens unknown")
    const md = readFileSync(join(dir, "closed-loop-fixture.report.md"), "utf8")
    expect(md).toContain("Synthetic cells, not a measurement.")
  })

  // The ilo project's own sample of that format, where a copy of the shared files sits beside the checkout.
  const sample = join(root, "..", "shared", "peer", "closed-loop-harness-shape.json")
  it.skipIf(!existsSync(sample))("renders the ilo project's sample of it", async () => {
    const dir = tempDir()
    const copy = join(dir, "closed-loop-harness-shape.json")
    copyFileSync(sample, copy)
    const r = await runCli(["report", copy])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("Report of 2 run(s) from 1 file(s) written:")
    expect(readFileSync(join(dir, "closed-loop-harness-shape.report.html"), "utf8")).toContain("served by claude-haiku-4-5, claude-haiku-4-5-20251001")
  })
})
