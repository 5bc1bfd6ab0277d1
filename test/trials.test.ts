import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { languageOf, makeBench, programPrinting } from "./support/bench.js"
import { runCli } from "./support/cli.js"
import { startFakeAnthropic } from "./support/fakeAnthropic.js"
import { result } from "./support/fixtures.js"
import { passRates, trialsMarkdown, trialsSummary } from "../src/report/Trials.js"
import { closedAfterEach } from "./support/scriptedServer.js"

const servers = closedAfterEach()

describe("pass rates over trials", () => {
  const trial = (task: string, n: number, outcome: Parameters<typeof result>[1] = "working") => ({ ...result(task, outcome), trial: n })

  it("gives no pass@k where a task has fewer than k measured trials, rather than a mean over the other tasks", () => {
    // t1 never worked (one trial an error); t2 worked in all three.
    const runs = [trial("t1", 1, "error"), trial("t1", 2, "partial"), trial("t1", 3, "partial"), trial("t2", 1), trial("t2", 2), trial("t2", 3)]
    const [p] = passRates(runs, 3)
    expect(p!.passAtK).toEqual([0.5, 0.5, null])
    const summary = trialsSummary(runs, 3)
    expect(summary.split("\n").find((l) => l.includes("3/5"))!.trim().split(/\s+/).slice(-3)).toEqual(["0.500", "0.500", "-"])
    expect(summary).toContain("pass@k is - where a task has fewer than k measured trials")
  })

  it("leaves a task whose every trial ended in error in the pass@k, as unknown", () => {
    const runs = [trial("t1", 1, "error"), trial("t1", 2, "error"), trial("t2", 1), trial("t2", 2)]
    expect(passRates(runs, 2)[0]!.passAtK).toEqual([null, null])
  })

  it("never shows a rate short of 100% as 100.0%, nor a pass@k short of 1 as 1.000", () => {
    const runs = [...Array.from({ length: 1999 }, (_, i) => trial("t1", i + 1)), trial("t1", 2000, "failed")]
    const line = trialsMarkdown(runs, 2000).find((l) => l.startsWith("| python"))!
    // pass@2 is exactly 1 here: one failure cannot fill two draws.
    expect(line).toMatch(/^\| python \| haiku \| 1999\/2000 \| >99\.9% \| \[99\.7%, >99\.9%\] \| 0\.999 \| 1\.000 \|/)
  })

  it("shows no rate, not 0.0%, for a language whose every run ended in error", () => {
    const runs = [trial("t1", 1, "error"), trial("t1", 2, "error")]
    expect(trialsSummary(runs, 2).split("\n").at(-1)).toMatch(/ 0\/0 +- +- +- +-$/)
    expect(trialsMarkdown(runs, 2)).toContain("| python | haiku | 0/0 (+2 error) | - | - | - | - |")
    expect(trialsSummary(runs, 2)).not.toContain("pass@k is -")
  })
})

describe("run --trials", () => {
  it("runs each task x language x model N times and reports pass rates with Wilson intervals and pass@k", async () => {
    const bench = makeBench([
      { id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" },
      { id: "sum", description: "Print 2 + 3.", expected_output: "5" }
    ])
    // One run at a time, so the n-th call is known: ilo's first three fib trials work, then two
    // fail; its sum trials all fail. Python always works.
    const ilo = { fib: 0, sum: 0 }
    const server = await startFakeAnthropic((req) => {
      const language = languageOf(req)
      const fib = JSON.stringify(req.body).includes("Fibonacci")
      const expected = fib ? "55" : "5"
      if (language !== "ilo") return { text: programPrinting(language, expected) }
      const n = fib ? ilo.fib++ : ilo.sum++
      return { text: programPrinting(language, fib && n < 3 ? expected : "wrong") }
    })
    servers.push(server)
    const result = await runCli(bench.args("--model", "haiku", "--python", "--trials", "5", "--retry-cap", "1", "--concurrency", "1"), {
      env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url }
    })
    expect(result.code).toBe(0)
    const [report] = bench.reports()
    expect(report.config.trials).toBe(5)
    expect(report.results).toHaveLength(20)
    expect(report.results.filter((r: any) => r.task === "fib" && r.language === "ilo").map((r: any) => [r.trial, r.final_outcome])).toEqual([
      [1, "working"],
      [2, "working"],
      [3, "working"],
      [4, "partial"],
      [5, "partial"]
    ])
    // ilo: 3 of 10 work, Wilson [10.8%, 60.3%]; pass@1 = mean(3/5, 0) = 0.3, pass@2 = mean(1 - C(2,2)/C(5,2), 0) = 0.45
    expect(result.stdout).toContain("Pass rates over 5 trials")
    // The seed's summary table names each row's trial.
    expect(result.stdout).toMatch(/^fib #4 +ilo +haiku /m)
    const iloLine = result.stdout.split("\n").find((l) => l.startsWith("ilo ") && l.includes("3/10"))
    expect(iloLine).toBeDefined()
    expect(iloLine).toContain("30.0%")
    expect(iloLine).toContain("[10.8%, 60.3%]")
    expect(iloLine!.trim().split(/\s+/).slice(-5)).toEqual(["0.300", "0.450", "0.500", "0.500", "0.500"])
    const pyLine = result.stdout.split("\n").find((l) => l.startsWith("python ") && l.includes("10/10"))
    expect(pyLine).toContain("[72.2%, 100.0%]")
    const [md] = bench.markdown()
    expect(md).toContain("## Pass rates over trials")
    // The verdict first, as the report's opening lines say, then the pass rates, then the seed's tables.
    expect(md!.indexOf("## Verdict")).toBeLessThan(md!.indexOf("## Pass rates over trials"))
    expect(md!.indexOf("## Pass rates over trials")).toBeLessThan(md!.indexOf("## Summary"))
    expect(md).toContain("| ilo | haiku | 3/10 | 30.0% | [10.8%, 60.3%] | 0.300 | 0.450 | 0.500 | 0.500 | 0.500 |")
    // The money of every trial is in the cost, not trial 1's alone.
    const costTotal = md!.split("\n").find((l) => l.startsWith("| **total** |"))
    expect(costTotal).toMatch(/^\| \*\*total\*\* \|  \| 20 \|/)

    // The HTML (the same analysis as `report`) multiplies out, labels each trial's attempts, and
    // pairs ilo with python trial by trial: fib trials 1 to 3 worked in both.
    const html = readFileSync(join(bench.out, readdirSync(bench.out).find((f) => f.endsWith(".html"))!), "utf8")
    expect(html).toContain("runs: 2 tasks × 2 languages × 1 model × 5 trials")
    expect(html).toContain('id="run-fib--ilo--haiku--trial-4"')
    expect(html).toMatch(/fib · ilo · haiku · trial 4 — <span class="tag o-partial">/)
    expect(html).toMatch(/<td>haiku<\/td><td class="l">python<\/td><td>3<\/td><td>30% \/ 100%<\/td>/)
    const rendered = join(bench.dir, "rendered")
    const rerun = await runCli(["report", "--output-dir", rendered, join(bench.out, readdirSync(bench.out).find((f) => f.endsWith(".json"))!)])
    expect(rerun.code).toBe(0)
    const sweepMd = readFileSync(join(rendered, readdirSync(rendered).find((f) => f.endsWith(".md"))!), "utf8")
    expect(sweepMd).toContain("Trials: 5 of each task x language x model")
    expect(sweepMd).toMatch(/\| haiku \| python \| 3 \| 30% \/ 100% \|/)
    expect(sweepMd).not.toContain("Partial sweep")
  })

  it("one trial keeps the seed's output: no pass-rate block", async () => {
    const bench = makeBench([{ id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" }])
    const server = await startFakeAnthropic((req) => ({ text: programPrinting(languageOf(req), "55") }))
    servers.push(server)
    const result = await runCli(bench.args("--model", "haiku"), { env: { ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: server.url } })
    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain("Pass rates")
    expect(bench.reports()[0].results[0].trial).toBe(1)
  })

  it("each trial's stdout and stderr lines name their run; the summary stays lined up with a long task id and javascript", async () => {
    const id = "a-task-id-well-past-twenty-two-chars"
    const bench = makeBench([{ id, description: "Print the 10th Fibonacci number.", expected_output: "55" }])
    const server = await startFakeAnthropic((req) => ({ text: programPrinting(languageOf(req), "55") }))
    servers.push(server)
    const result = await runCli(bench.args("--model", "haiku", "--lang", "javascript", "--trials", "2"), {
      env: { ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: server.url }
    })
    expect(result.code, result.stderr).toBe(0)
    const out = result.stdout.split("\n")
    // The seed's line first, the run after it: two trials of a run no longer print the same line.
    expect(out.filter((l) => l.startsWith("  -> outcome=")).map((l) => l.replace(/ wall=[\d.]+s /, " "))).toEqual([
      `  -> outcome=working gen_tokens=${/gen_tokens=(\d+)/.exec(out.find((l) => l.endsWith("lang=ilo model=haiku trial=1"))!)![1]} task=${id} lang=ilo model=haiku trial=1`,
      expect.stringMatching(new RegExp(`^  -> outcome=working gen_tokens=\\d+ task=${id} lang=ilo model=haiku trial=2$`)),
      expect.stringMatching(new RegExp(`^  -> outcome=working gen_tokens=\\d+ task=${id} lang=javascript model=haiku trial=1$`)),
      expect.stringMatching(new RegExp(`^  -> outcome=working gen_tokens=\\d+ task=${id} lang=javascript model=haiku trial=2$`))
    ])
    // stderr is no terminal here: a line per finished run, naming its trial.
    const done = result.stderr.split("\n").filter((l) => /^\[\d\/4\] task=/.test(l)).map((l) => l.replace(/^\[\d\/4\] /, "").split(" -> ")[0])
    expect(done.sort()).toEqual(["ilo", "javascript"].flatMap((lang) => [1, 2].map((n) => `task=${id} lang=${lang} model=haiku trial=${n}`)).sort())
    // The summary: every row's cells start (or, right-aligned, end) under their header.
    const head = out.indexOf("Summary:") + 1
    expect(out[head]).toMatch(/^task +lang +model +gen_tok attempts outcome +time$/)
    const rows = out.slice(head + 2, head + 6)
    expect(rows[2]).toMatch(new RegExp(`^${id} #1 javascript haiku +\\d+ +1 working +\\d+\\.\\ds$`))
    const at = (line: string, word: string) => line.indexOf(word)
    const langAt = at(out[head]!, "lang")
    const attemptsEnd = at(out[head]!, "attempts") + "attempts".length
    const outcomeAt = at(out[head]!, "outcome")
    for (const row of rows) {
      expect(row.slice(langAt).startsWith("ilo ") || row.slice(langAt).startsWith("javascript "), row).toBe(true)
      expect(row[attemptsEnd - 1], row).toBe("1")
      expect(row.slice(outcomeAt).startsWith("working "), row).toBe(true)
      expect(row.length, row).toBe(out[head]!.length)
    }
  })
})
