import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./support/cli.js"
import { expectedOf, languageOf, programPrinting, scratch } from "./support/bench.js"
import { startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base"
import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base"
import { llama3 } from "./support/llama3.js"

/*
 * A scripted benchmark, six tasks, retry cap 3, one model. Worked by hand:
 * - ilo works at once on every task, each attempt 200 input + 20 output tokens: 220 per run; median 220.
 * - python spends 100 + 10 = 110 per attempt; works at once on t1-t4, at the second attempt on t5
 *   (220), never on t6 (censored at 330). S = 2/6 after 110 (median 110), then 1/6 at 220 (p75 220).
 *   python / ilo = 110 / 220 = 0.5 in total tokens, output tokens (10 / 20) and cost (every token kind halved).
 * - javascript spends 110 per attempt and works only on t1: five runs hit the cap at 330.
 *   S = 5/6 after 110: its median is "not reached" (the mean over its one working run, 110, would call it the cheapest).
 */
const TASKS = ["t1", "t2", "t3", "t4", "t5", "t6"].map((id) => ({ id, expected: `out-${id}` }))

describe("the verdict of a scripted benchmark", () => {
  let server: FakeServer
  let run: { stdout: string; stderr: string; code: number | null }
  const bench = scratch(TASKS)

  beforeAll(async () => {
    server = await startFakeAnthropic((request) => {
      const language = languageOf(request)
      const expected = expectedOf(request.body)
      const task = expected.replace("out-", "")
      const attempt = (request.body.messages as Array<{ role: string }>).filter((m) => m.role === "user").length
      const works =
        language === "ilo" ||
        (language === "python" && (["t1", "t2", "t3", "t4"].includes(task) || (task === "t5" && attempt >= 2))) ||
        (language === "javascript" && task === "t1")
      const [inputTokens, outputTokens] = language === "ilo" ? [200, 20] : [100, 10]
      return { text: programPrinting(language, works ? expected : "wrong"), inputTokens, outputTokens }
    })
    run = await bench.run(server.url, ["--python", "--lang", "javascript", "--retry-cap", "3", "--concurrency", "2", "--quiet"])
  }, 120_000)
  afterAll(() => server.close())

  it("puts Kaplan-Meier medians and versus ratios in the JSON report's analysis", () => {
    expect(run.code, run.stderr).toBe(0)
    const { analysis } = bench.report()
    expect(analysis.baseline).toBe("ilo")
    const of = (language: string) => analysis.survival.find((s: any) => s.language === language)
    expect(of("ilo")).toMatchObject({ model: "haiku", runs: 6, working: 6, censored: 0, errors: 0, total_tokens: { median: 220, p25: 220, p75: 220 } })
    expect(of("python")).toMatchObject({ runs: 6, working: 5, censored: 1, total_tokens: { median: 110, p25: 110, p75: 220 }, output_tokens: { median: 10 } })
    expect(of("javascript")).toMatchObject({ runs: 6, working: 1, censored: 5, total_tokens: { median: null, p25: null, p75: null, ci95: null } })
    expect(of("python").curve.total_tokens).toEqual([[0, 1], [110, 0.333333], [220, 0.166667], [330, 0.166667]])
    const python = analysis.versus.find((v: any) => v.language === "python")
    expect(python).toMatchObject({ model: "haiku", baseline: "ilo", tasks: 6, total_tokens: { ratio: 0.5 }, output_tokens: { ratio: 0.5 }, cost_usd: { ratio: 0.5 } })
    const [lo, hi] = python.total_tokens.ci95
    expect(lo).toBeLessThanOrEqual(0.5)
    expect(hi).toBeGreaterThanOrEqual(0.5)
    expect(analysis.versus.find((v: any) => v.language === "javascript").total_tokens).toEqual({ ratio: null, ci95: null })
  })

  it("counts every program's tokens as the tokenizer library does, and the documentation's spec tax", () => {
    const { results, analysis } = bench.report()
    let counted = 0
    for (const r of results) {
      for (const a of r.attempts) {
        expect(a.program_tokens).toEqual({ o200k_base: o200k(a.program), cl100k_base: cl100k(a.program), llama3: llama3(a.program) })
        counted++
      }
      expect(r.final_program_tokens).toEqual(r.attempts.at(-1).program_tokens)
    }
    expect(counted).toBe(6 + 9 + 16)
    // echo 'out-t1' and print("out-t1") weigh differently: the census is of real tokens, not characters.
    expect(results[0].final_program_tokens.o200k_base).toBeGreaterThan(1)
    const python = analysis.census.find((c: any) => c.language === "python")
    const docs = "(No formal language documentation available for python.)"
    expect(python.doc_tokens).toEqual({ o200k_base: o200k(docs), cl100k_base: cl100k(docs), llama3: llama3(docs) })
    expect(python.attempts).toBe(9)
    expect(python.spec_tax).toEqual({ o200k_base: 9 * o200k(docs), cl100k_base: 9 * cl100k(docs), llama3: 9 * llama3(docs) })
    expect(bench.markdown()).toContain("## Token census")
  })

  it("ends stdout with one verdict line per model and compared language", () => {
    const lines = run.stdout.trimEnd().split("\n")
    expect(lines.at(-2)).toMatch(/^haiku: python needs 0\.50x ilo's tokens to a working program \(95% CI \d\.\d\d-\d\.\d\d\), 0\.50x its cost$/)
    expect(lines.at(-1)).toBe(
      "haiku: javascript got fewer than half its runs working: median tokens to a working program javascript not reached, ilo 220 tokens; no ratio"
    )
  })

  it("opens the Markdown and the HTML with the verdict, then the survival curves", () => {
    const md = bench.markdown()
    expect(md.indexOf("## Verdict")).toBeGreaterThan(0)
    expect(md.indexOf("## Verdict")).toBeLessThan(md.indexOf("## Summary"))
    expect(md).toMatch(/\| haiku \| python \| 0\.50x \(95% CI [\d.]+-[\d.]+\) \| 0\.50x/)
    expect(md).toMatch(/\| javascript \| haiku \| 6 \| 1 \| 5 \| 0 \| not reached \|/)
    const html = readFileSync(join(bench.out, readdirSync(bench.out).find((f) => f.endsWith(".html"))!), "utf8")
    const verdict = html.indexOf('id="verdict"')
    expect(verdict).toBeGreaterThan(0)
    expect(verdict).toBeLessThan(html.indexOf('id="chart-survival"'))
    expect(html.indexOf('id="chart-survival"')).toBeLessThan(html.indexOf("<h2>Summary</h2>"))
    expect(html).toContain('<div class="tile" data-language="python" data-model="haiku">')
    // Beside the ratio, how often each side worked: javascript's "not reached" median is 1 working run of 6.
    expect(html).toContain('<div class="who">runs working: python 5/6 · ilo 6/6</div>')
    expect(html).toContain('<div class="who">runs working: javascript 1/6 · ilo 6/6</div>')
    // One line per language x model in the survival chart.
    const chart = html.slice(html.indexOf('id="chart-survival"'), html.indexOf("</figure>", html.indexOf('id="chart-survival"')))
    expect(chart).toContain('data-chart-library="observable-plot"')
    expect(chart.match(/aria-description="series /g)).toHaveLength(3)
  })

  it("report re-renders the same verdict from the saved JSON, and --baseline divides by another language", async () => {
    const json = join(bench.out, readdirSync(bench.out).find((f) => f.endsWith(".json"))!)
    const r = await runCli(["report", "--baseline", "python", json])
    expect(r.code, r.stderr).toBe(0)
    const md = readFileSync(json.replace(/\.json$/, ".report.md"), "utf8")
    expect(md).toContain("**haiku**: ilo needs 2.00x python's tokens to a working program")
    expect(md.indexOf("## Verdict")).toBeLessThan(md.indexOf("## Summary"))
    // The head to head divides by the same baseline as the verdict: on t1-t5, which both got working,
    // ilo spent 5 x 220 = 1100 tokens, python 4 x 110 + 220 = 660: 1.67x; ilo works on 5 of python's 6.
    expect(md).toContain("## Head to head against python")
    expect(md).toContain("| haiku | ilo | 5 | 83% / 100% | 1.67× | 1.67× |")
    expect(md).not.toContain("## Head to head against ilo")
    const html = readFileSync(json.replace(/\.json$/, ".report.html"), "utf8")
    expect(html).toContain("<h2>Head to head against python</h2>")
  })

  it("report refuses a --baseline no run used, as run does (one line, exit 2), and writes nothing", async () => {
    const json = join(bench.out, readdirSync(bench.out).find((f) => f.endsWith(".json"))!)
    const r = await runCli(["report", "--baseline", "cobol", "--output-dir", join(bench.dir, "refused"), json])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe("ERROR: --baseline: 'cobol' is not a language of these runs (ilo, python, javascript)")
    expect(existsSync(join(bench.dir, "refused"))).toBe(false)
  })

  it("compare shows each ratio in A and B and the change with its interval", async () => {
    const json = join(bench.out, readdirSync(bench.out).find((f) => f.endsWith(".json"))!)
    const r = await runCli(["compare", json, json])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("haiku: python vs ilo, on 6 task(s) measured in both runs: tokens to a working program 0.50x -> 0.50x (0.00; 95% CI 0.00 to 0.00)")
  })
})
