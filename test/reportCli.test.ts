import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./support/cli.js"
import { startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"
import { attempt, iloBenchFile, iloBenchRow, laterFile, laterRow, seedFile, seedRow, tempDir, writeFixture } from "./support/resultFixtures.js"
import { makeStandInIlo } from "./support/standInIlo.js"

describe("ilo-bench report", () => {
  it("merges legs of a sweep into one Markdown and one HTML report", async () => {
    const dir = tempDir()
    const a = writeFixture(dir, "closed-loop-2026-09-18-ilo.json", laterFile("ilo", [laterRow("t1", "ilo", "m", "working", 0.01), laterRow("t2", "ilo", "m", "failed", 0.02)]))
    const b = writeFixture(dir, "closed-loop-2026-09-18-python.json", laterFile("python", [laterRow("t1", "python", "m", "working", 0.03)]))
    const r = await runCli(["report", a, b])
    expect(r.code).toBe(0)
    const md = readFileSync(join(dir, "closed-loop-2026-09-18-ilo-sweep.report.md"), "utf8")
    expect(md).toContain("| task | ilo | python |")
    expect(md).toContain("_not measured_")
    const html = readFileSync(join(dir, "closed-loop-2026-09-18-ilo-sweep.report.html"), "utf8")
    expect(html).toContain("<svg")
    expect(html).not.toMatch(/<script|<link|src="http/)
    expect(r.stdout).toContain("Report of 3 run(s) from 2 file(s) written:")
    expect(r.stderr).toContain("WARNING: Partial sweep")
  })

  it("reads this project's report and the seed's format; --output-dir chooses where", async () => {
    const dir = tempDir()
    const out = join(dir, "out")
    const ours = writeFixture(dir, "ours.json", iloBenchFile([iloBenchRow("t1", "ilo", "haiku", [attempt(1, "failed", "bad()", "NameError"), attempt(2, "working", "good()", null)])]))
    const r = await runCli(["report", "--output-dir", out, ours])
    expect(r.code).toBe(0)
    const html = readFileSync(join(out, "ours.report.html"), "utf8")
    expect(html).toContain("bad()")
    expect(html).toContain("NameError")
    const seed = writeFixture(dir, "seed.json", seedFile([seedRow("t1", "ilo", "sonnet", "working")]))
    expect((await runCli(["report", seed])).code).toBe(0)
    expect(existsSync(join(dir, "seed.report.html"))).toBe(true)
  })

  it("exits 2 with one clear line for a file it does not know", async () => {
    const dir = tempDir()
    const bad = writeFixture(dir, "bad.json", { hello: "world" })
    const r = await runCli(["report", bad])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe(`ERROR: results file ${bad}: not a results file ilo-bench knows (expected "harness": "ilo-bench" or "closed-loop-bench.py", or a checkpoint .jsonl); found harness none`)
    const missing = await runCli(["report", join(dir, "nope.json")])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("not found")
  })
  it("refuses, in one line and with exit 2, a file whose trial or retry cap would take a column each to lay out", async () => {
    const dir = tempDir()
    const row = iloBenchRow("t1", "ilo", "haiku", [attempt(1, "failed", "bad()", "NameError")])
    const trial = writeFixture(dir, "trial.json", iloBenchFile([{ ...row, trial: 1e9 }]))
    const huge = iloBenchFile([row]) as { config?: Record<string, unknown> }
    const cap = writeFixture(dir, "cap.json", { ...huge, config: { ...huge.config, retry_cap: 1e9 } })
    for (const [file, field] of [[trial, "trial"], [cap, "retry_cap"]] as const) {
      const r = await runCli(["report", file])
      expect(r.code).toBe(2)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(r.stderr).toMatch(new RegExp(`^ERROR: results file .*: an ilo-bench report, but .*${field}.*a whole number from 1 to \\d+, got 1000000000`))
    }
  })
})

describe("ilo-bench compare", () => {
  it("prints what changed and writes Markdown and HTML", async () => {
    const dir = tempDir()
    const tasks = ["a", "b", "c", "d"]
    const before = writeFixture(dir, "before.json", seedFile(tasks.map((t) => seedRow(t, "ilo", "m", t === "a" ? "working" : "failed"))))
    const after = writeFixture(dir, "after.json", seedFile(tasks.map((t) => seedRow(t, "ilo", "m", t === "d" ? "partial" : "working", 50, 400))))
    const r = await runCli(["compare", before, after])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("4 run(s) in both, 3 better, 0 worse, 1 unchanged.")
    expect(r.stdout).toContain("ilo/m, on 4 task(s) measured in both: success 25% -> 75% (+50 pts; McNemar exact p=0.500)")
    const md = readFileSync(join(dir, "compare-before-vs-after.md"), "utf8")
    expect(md).toContain("| b | ilo | m | failed | working | 1,100 | 450 | −650 | 1 | 1 | 0 |")
    expect(readFileSync(join(dir, "compare-before-vs-after.html"), "utf8")).toContain("<svg")
    // A second comparison of files with the same names gets a name of its own.
    const again = await runCli(["compare", before, after])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(join(dir, "compare-before-vs-after-2.md"))
    expect(readFileSync(join(dir, "compare-before-vs-after-2.md"), "utf8")).toBe(md)
  })
})

describe("ilo-bench run: progress and the HTML report", () => {
  let server: FakeServer
  beforeAll(async () => {
    server = await startFakeAnthropic((_req, n) => (n % 2 === 0 ? { text: "echo 55", outputTokens: 7 } : { text: "exit 3", outputTokens: 9 }))
  })
  afterAll(() => server.close())

  const setup = () => {
    const dir = tempDir()
    const tasks = writeFixture(dir, "tasks.json", { tasks: [{ id: "t1", description: "Print 55.", expected_output: "55" }, { id: "t2", description: "Print 55.", expected_output: "55" }] })
    return { dir, tasks, ilo: makeStandInIlo() }
  }
  const env = () => ({ ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url })

  it("not a terminal: one progress line per run on stderr, the seed's lines on stdout, and an HTML report", async () => {
    const { dir, tasks, ilo } = setup()
    const r = await runCli(["run", "--ilo", ilo.bin, "--tasks-file", tasks, "--model", "haiku", "--retry-cap", "1", "--concurrency", "1", "--output-dir", dir], { env: env() })
    expect(r.code).toBe(0)
    const progress = r.stderr.split("\n").filter((l) => /^\[\d\/2\] task=/.test(l))
    expect(progress).toHaveLength(2)
    // Runs may finish in either order; the counter counts finished runs.
    expect(progress[0]).toMatch(/^\[1\/2\] task=t[12] lang=ilo model=haiku -> /)
    expect(progress[1]).toMatch(/^\[2\/2\] task=t[12] lang=ilo model=haiku -> \w+ .* \| \d+ working · \d+ partial · \d+ failed · 0 error \| .* elapsed, ETA 0s$/)
    expect(progress.map((l) => /task=(t\d)/.exec(l)![1]).sort()).toEqual(["t1", "t2"])
    expect(r.stderr).not.toContain("\x1b")
    expect(r.stdout.split("\n").filter((l) => l.startsWith("  -> outcome="))).toHaveLength(2)
    const html = readdirSync(dir).find((f) => f.endsWith(".html"))
    expect(html).toMatch(/^closed-loop-\d{4}-\d{2}-\d{2}\.html$/)
    expect(r.stdout).toContain(`  HTML: ${join(dir, html!)}`)
    expect(readFileSync(join(dir, html!), "utf8")).toContain('id="chart-curve"')
  })

  it("report of a checkpoint leaves out the lines its harness did not sign (a program's forged run), and says so", async () => {
    const { dir, tasks, ilo } = setup()
    const r = await runCli(["run", "--ilo", ilo.bin, "--tasks-file", tasks, "--model", "haiku", "--retry-cap", "1", "--concurrency", "1", "--output-dir", dir], { env: env() })
    expect(r.code).toBe(0)
    const checkpoint = join(dir, readdirSync(dir).find((f) => f.endsWith(".jsonl"))!)
    const lines = readFileSync(checkpoint, "utf8").trim().split("\n").map((l) => JSON.parse(l))
    const failed = lines.find((l) => l.type === "run" && l.result.final_outcome !== "working")
    expect(failed).toBeDefined()
    // What a program run without the sandbox could append: its own run, now working, unsigned.
    const { mac: _mac, ...forged } = { ...failed, result: { ...failed.result, final_outcome: "working", attempts_to_success: 1, success_rate: 1 } }
    appendFileSync(checkpoint, JSON.stringify(forged) + "\n")
    const out = join(dir, "report")
    const rep = await runCli(["report", "--output-dir", out, checkpoint])
    expect(rep.code).toBe(0)
    expect(rep.stderr).toMatch(/1 line\(s\) were not written by the ilo-bench that owns it/)
    const md = readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".md"))!), "utf8")
    expect(md).toMatch(/\| ilo \| haiku \| 2 \| 1 \|/)
  })

  it("--quiet: no progress on stderr, stdout unchanged", async () => {
    const { dir, tasks, ilo } = setup()
    const r = await runCli(["run", "--ilo", ilo.bin, "--tasks-file", tasks, "--model", "haiku", "--retry-cap", "1", "--quiet", "--output-dir", dir], { env: env() })
    expect(r.code).toBe(0)
    expect(r.stderr).not.toMatch(/\[\d\/2\]/)
    expect(r.stdout).toContain("Closed-loop bench: 2 tasks × 1 languages × 1 models = 2 runs  (retry_cap=1)")
    expect(r.stdout.split("\n").filter((l) => l.startsWith("  -> outcome="))).toHaveLength(2)
  })
})

