import { Effect, Either } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { compareSweeps, compareSummary, renderCompareHtml, renderCompareMarkdown } from "../src/report/Compare.js"
import { decodeResults, mergeSources, readCheckpointSource, ResultsFileError, sourceOfReport, type Source } from "../src/report/Sweep.js"
import { renderHtml, runAnchor } from "../src/report/Html.js"
import { renderMarkdown } from "../src/report/Markdown.js"
import { fmtPct, headToHead, renderSweepMarkdown } from "../src/report/SweepMarkdown.js"
import { analyse } from "../src/report/Analysis.js"
import { encodeLine } from "../src/services/Checkpoint.js"
import { header as checkpointHeader, replyLine, result } from "./support/fixtures.js"
import { attempt, iloBenchFile, iloBenchRow, laterFile, laterRow, seedFile, seedRow } from "./support/resultFixtures.js"

/** A file's content decoded as the report command reads it: a checkpoint (.jsonl) from its file, line by line. */
const decodeFile = (file: string, content: unknown): Either.Either<Source, ResultsFileError> => {
  const text = typeof content === "string" ? content : JSON.stringify(content)
  if (!file.endsWith(".jsonl")) return decodeResults(file, text)
  const path = join(mkdtempSync(join(tmpdir(), "ilo-bench-model-")), file)
  writeFileSync(path, text)
  // Named as given: a report names its files.
  return Either.map(
    Either.mapLeft(Effect.runSync(Effect.either(readCheckpointSource(path))), (e) => new ResultsFileError({ file, reason: e.reason })),
    (source) => ({ ...source, file })
  )
}

const decode = (file: string, content: unknown): Source => {
  const d = decodeFile(file, content)
  if (Either.isLeft(d)) throw new Error(d.left.message)
  return d.right
}

describe("reading saved results", () => {
  it("reads the seed's format, the later one with cost, this project's report and a checkpoint", () => {
    const seed = decode("seed.json", seedFile([seedRow("t1", "ilo", "sonnet", "working")]))
    expect(seed.format).toBe("closed-loop-bench.py (seed)")
    const later = decode("later.json", laterFile("python", [laterRow("t1", "python", "dsflash", "working", 0.002)]))
    expect(later.format).toBe("closed-loop-bench.py (with cache and cost)")
    expect(later.results[0]!.cost_usd).toBe(0.002)
    expect(later.settings).toContainEqual(["leg", "python"])
    const ours = decode("ours.json", iloBenchFile([iloBenchRow("t1", "ilo", "haiku", [attempt(1, "working", "print 1", null)])]))
    expect(ours.retryCap).toBe(3)
    expect(ours.results[0]!.attempts).toHaveLength(1)
    // A checkpoint as `run` writes it: header, a run that ended in error, its re-run on resume, a
    // second run with its reply before it, a reply of a run that did not finish, and a last line
    // cut short by a crash.
    const text =
      encodeLine(checkpointHeader({ retry_cap: 4 })) +
      encodeLine({ type: "run", result: result("t1", "error") }) +
      encodeLine({ type: "run", result: result("t1") }) +
      encodeLine(replyLine("t2", 1)) +
      encodeLine({ type: "run", result: result("t2") }) +
      encodeLine(replyLine("t3", 1))
    const checkpoint = decode("run.jsonl", text + text.slice(0, 40))
    expect(checkpoint).toMatchObject({ complete: false, retryCap: 4 })
    expect(checkpoint.results.map((r) => [r.task, r.final_outcome])).toEqual([
      ["t1", "working"],
      ["t2", "working"]
    ])
  })

  it("a checkpoint is reported in the plan's order with the notes the run's own report had", () => {
    const config = {
      languages: [
        { name: "python", command: ["python3", "{file}"], extension: ".py", docs: "none" },
        { name: "node", command: ["node", "{file}"], extension: ".js", docs: "none" }
      ],
      models: [{ key: "haiku", id: "claude-haiku-4-5" }]
    }
    const run = (task: string, language: string, outcome: Parameters<typeof result>[1] = "working") => ({ type: "run" as const, result: { ...result(task, outcome), language } })
    // Finished out of order: t2 before t1, node before python; t1/node ended in error; resumed once.
    const text = [
      { ...checkpointHeader(config as any), tasks: ["t1", "t2"], notes: ["claude-sonnet-4-5 was retired on 2026-11-30."] },
      run("t2", "python"),
      run("t1", "node", "error"),
      run("t1", "python"),
      { type: "resume" as const, at: "2026-11-25T11:00:00.000Z", forced: [], retry_errors: false, planned_runs: 4 },
      run("t2", "node")
    ].map(encodeLine).join("")
    const source = decode("run.jsonl", text)
    expect(source.results.map((r) => `${r.task}/${r.language}`)).toEqual(["t1/python", "t1/node", "t2/python", "t2/node"])
    expect(source.notes[0]).toMatch(/^Resumed once from this checkpoint/)
    expect(source.notes).toContain("claude-sonnet-4-5 was retired on 2026-11-30.")
    expect(source.notes.some((n) => n.startsWith('1 run(s) ended in "error"'))).toBe(true)
    expect(mergeSources([source]).languages).toEqual(["python", "node"])
  })

  it("a checkpoint with a run line for every planned run is a finished benchmark; one short of it, or one that does not say, is not", () => {
    const lines = (planned: number | undefined) =>
      encodeLine({ ...checkpointHeader(), ...(planned !== undefined ? { planned_runs: planned } : {}) }) +
      encodeLine({ type: "run", result: result("t1") }) +
      encodeLine({ type: "run", result: result("t2", "error") })
    expect(decode("a.jsonl", lines(2)).complete).toBe(true)
    expect(decode("b.jsonl", lines(3)).complete).toBe(false)
    expect(decode("c.jsonl", lines(undefined)).complete).toBe(false)
    // A resume with another plan (--force): its count is the one that counts.
    const resumed = (planned: number) => lines(2) + encodeLine({ type: "resume", at: "2026-11-25T11:00:00.000Z", forced: ["x"], retry_errors: false, planned_runs: planned })
    expect(decode("d.jsonl", resumed(3)).complete).toBe(false)
    expect(decode("e.jsonl", resumed(2)).complete).toBe(true)
  })

  it("says clearly what is wrong with anything else", () => {
    const fail = (file: string, text: string) => {
      const d = decodeFile(file, text)
      return Either.isLeft(d) ? d.left.message : "decoded"
    }
    expect(fail("x.json", "{oops")).toMatch(/^results file x.json: not JSON/)
    expect(fail("x.json", JSON.stringify({ harness: "other", results: [] }))).toContain('found harness other')
    expect(fail("x.json", JSON.stringify(seedFile([{ task: "t1" }])))).toMatch(/closed-loop-bench.py report, but field 'results.0.language' is missing/)
    expect(fail("x.jsonl", `${encodeLine(checkpointHeader())}{"type": "run", "result": {"task": 3}}\n`)).toMatch(/line 2 is not a checkpoint record/)
    expect(fail("y.jsonl", `${JSON.stringify(seedRow("t", "ilo", "m", "working"))}\n`)).toMatch(/line 1 is not a checkpoint header/)
  })
})

describe("the re-rendered Markdown of a sweep", () => {
  const ilo = decode("ilo.json", laterFile("ilo", [
    laterRow("t1", "ilo", "m", "working", 0.01),
    laterRow("t2", "ilo", "m", "failed", 0.02, { truncated_attempts: 1, finish_reasons: ["length"] })
  ]))
  const python = decode("python.json", laterFile("python", [laterRow("t1", "python", "m", "working", 0.04)]))
  const md = renderSweepMarkdown(mergeSources([ilo, python]))

  it("names beside each source the settings that change what its numbers mean", () => {
    expect(md).toContain("- python.json: closed-loop-bench.py (with cache and cost), generated 2026-09-18T20:13:22.400293+00:00, 1 run(s); ticket ILO-364, cache_mode warm-align-curated, leg python")
  })

  it("puts languages side by side and marks what was not measured instead of dropping it", () => {
    expect(md).toContain("| task | ilo | python |")
    expect(md).toMatch(/\| t2 \| failed, 1 att, 1,100 tok, \$0\.020 \| _not measured_ \|/)
  })

  it("shows cost per language and the head-to-head ratio against ilo", () => {
    expect(md).toMatch(/\| \*\*cost\*\* \| \*\*\$0\.030\*\* \| \*\*\$0\.040\*\* \|/)
    // On t1, both working with equal tokens; python cost 0.04 vs ilo 0.01.
    expect(md).toMatch(/\| m \| python \| 1 \| 50% \/ 100% \| 1\.00× \| 4\.00× \|/)
    // A ratio far below 1 keeps two significant digits: "0.00×" would say python spent nothing.
    const cheap = decode("cheap.json", laterFile("python", [laterRow("t1", "python", "m", "working", 0.00004)]))
    expect(renderSweepMarkdown(mergeSources([ilo, cheap]))).toMatch(/\| m \| python \| 1 \| 50% \/ 100% \| 1\.00× \| 0\.0040× \|/)
    // Equal tokens, four times the cost: the note says why the two ratios can differ.
    expect(md).toContain("Tokens count cache reads in full, as the seed did; cost weighs each kind of token at its list price")
  })

  it("leads with banners when the sweep is partial and when attempts were cut at max_tokens", () => {
    const firstSection = md.indexOf("## Summary")
    expect(md.indexOf("Partial sweep: 1 task x language x model cell(s) were not measured")).toBeLessThan(firstSection)
    expect(md.indexOf("1 attempt(s) in 1 run(s) were cut at max_tokens")).toBeLessThan(firstSection)
    const whole = renderSweepMarkdown(mergeSources([decode("w.json", seedFile([seedRow("t1", "ilo", "m", "working")]))]))
    expect(whole).not.toContain("Partial sweep")
  })

  it("an unfinished checkpoint says how many of its planned runs have no result, even where no result shows their task", () => {
    const lines = (planned: number, ...tasks: Array<string>) =>
      encodeLine({ ...checkpointHeader(), planned_runs: planned }) + tasks.map((t) => encodeLine({ type: "run", result: result(t) })).join("")
    const text = (content: string) => renderSweepMarkdown(mergeSources([decode("p.jsonl", content)]))
    expect(text(lines(6, "t1", "t2"))).toContain("Partial sweep: 4 planned run(s) have no result; unfinished run(s): p.jsonl.")
    expect(text(lines(6))).toContain("Partial sweep: 6 planned run(s) have no result")
    expect(text(lines(6))).toContain("# Closed-loop benchmark: no runs\n")
    expect(text(lines(2, "t1", "t2"))).not.toContain("Partial sweep")
  })

  it("with trials, a trial with no run is not measured", () => {
    const run = (task: string, trial: number) => ({ ...iloBenchRow(task, "ilo", "m", [attempt(1, "working", "print 1", null)]), trial })
    const text = (rows: ReadonlyArray<unknown>) => renderSweepMarkdown(mergeSources([decode("t.json", iloBenchFile(rows))]))
    expect(text([run("t1", 1), run("t1", 2), run("t2", 1), run("t2", 2)])).not.toContain("Partial sweep")
    expect(text([run("t1", 1), run("t1", 2), run("t2", 1)])).toContain("Partial sweep: 1 task x language x model x trial cell(s) were not measured")
  })

  it("draws the success-by-attempt table up to the cap", () => {
    const s = decode("s.json", seedFile([seedRow("t1", "ilo", "m", "working", 1, 1, 2), seedRow("t2", "ilo", "m", "failed", 1, 1, 3), seedRow("t3", "ilo", "m", "error", 0, 0, 0)]))
    const text = renderSweepMarkdown(mergeSources([s]))
    // Error runs are left out: 1 of 2 measured runs worked by attempt 2.
    expect(text).toContain("| ilo | m | 0% | 50% | 50% |")
    // The seed's files do not say their cap: the report does not pass the most attempts off as it.
    expect(text).toContain("Retry cap: not recorded (the seed's format does not say); the runs took at most 3 attempt(s)")
    const ours = renderSweepMarkdown(mergeSources([decode("o.json", iloBenchFile([iloBenchRow("t1", "ilo", "haiku", [attempt(1, "working", "p", null)])]))]))
    expect(ours).toContain("Retry cap: 3\n")
    const both = renderSweepMarkdown(mergeSources([s, decode("o.json", iloBenchFile([iloBenchRow("t9", "ilo", "m", [attempt(1, "working", "p", null)])]))]))
    expect(both).toContain("Retry cap: 3 at most, recorded in 1 of 2 files (the seed's format does not say)")
  })
})

describe("percentages", () => {
  it("never show a rate short of 100% as 100%, or one above 0% as 0%", () => {
    expect([1, 0.5, 0, 0.994, 0.996, 0.9991, 0.9996, 0.004, 0.0004].map(fmtPct)).toEqual(["100%", "50%", "0%", "99%", "99.6%", "99.9%", ">99.9%", "0.4%", "<0.1%"])
    expect(fmtPct(199 / 200)).toBe("99.5%")
  })
})

describe("comparing two runs", () => {
  it("a language B ran and A did not is not called unmeasured on either side in the chart", async () => {
    const a = decode("a.json", laterFile("ilo", [laterRow("t1", "ilo", "m", "working", 0.01)]))
    const b = decode("b.json", laterFile("ilo", [laterRow("t1", "ilo", "m", "working", 0.01), laterRow("t1", "javascript", "m", "working", 0.01)]))
    const html = await Effect.runPromise(renderCompareHtml(compareSweeps(mergeSources([a]), mergeSources([b]))))
    expect(html).not.toContain("not measured on either side")
    expect(html).toContain("not measured in both A and B")
  })

  it("finds outcome changes, a McNemar test on paired tasks, and token deltas", () => {
    const tasks = ["a", "b", "c", "d", "e", "f"]
    const before = decode("before.json", seedFile(tasks.map((t) => seedRow(t, "ilo", "m", t === "a" ? "working" : "failed", 100, 1000))))
    const after = decode("after.json", seedFile(tasks.map((t) => seedRow(t, "ilo", "m", "working", 50, 500))))
    const c = compareSweeps(mergeSources([before]), mergeSources([after]))
    const g = c.groups[0]!
    expect(g.mcnemar).toMatchObject({ onlyA: 0, onlyB: 5 })
    expect(g.mcnemar.p).toBeCloseTo(2 / 32, 10)
    expect(g.rateDelta).toBeCloseTo(5 / 6, 10)
    expect(g.tokens!.estimate).toBe(550 - 1100)
    expect(c.runs.find((r) => r.task === "b")).toMatchObject({ tokenDelta: -550, attemptDelta: 0 })
    const summary = compareSummary(c)
    expect(summary).toContain("6 run(s) in both, 5 better, 0 worse, 1 unchanged")
    expect(summary).toContain("ilo/m, on 6 task(s) measured in both: success 17% -> 100% (+83 pts; McNemar exact p=0.063)")
  })

  it("measures both sides on the tasks measured in both, counts an error apart from unchanged, and says what differs", () => {
    // A ran only a and b (b ended in error), with retry cap 3; B ran a, b and c, with cap 5.
    const withCap = (file: ReturnType<typeof iloBenchFile>, cap: number) => ({ ...file, config: { ...file.config, retry_cap: cap } })
    const a = decode("a.json", withCap(iloBenchFile([iloBenchRow("a", "ilo", "m", [attempt(1, "working", "p", null)]), { ...iloBenchRow("b", "ilo", "m", []), final_outcome: "error" }]), 3))
    const b = decode(
      "b.json",
      withCap(iloBenchFile(["a", "b", "c"].map((t) => iloBenchRow(t, "ilo", "m", t === "c" ? [attempt(1, "failed", "p", "x")] : [attempt(1, "working", "p", null)]))), 5)
    )
    const c = compareSweeps(mergeSources([a]), mergeSources([b]))
    const g = c.groups[0]!
    // Only a is measured in both: B's failed c does not lower its rate, A's error does not count.
    expect(g).toMatchObject({ paired: 1, rateA: 1, rateB: 1, rateDelta: 0 })
    const summary = compareSummary(c)
    expect(summary).toContain("2 run(s) in both, 0 better, 0 worse, 1 unchanged, 1 not comparable")
    expect(summary).toContain("Note: Settings that differ between A and B: retry_cap 3 vs 5.")
    // Programs run in the sandbox on one side and without it on the other: outcomes can differ for that alone.
    const sandboxed = (file: ReturnType<typeof iloBenchFile>, mode: string) => ({ ...file, config: { ...file.config, retry_cap: 5, sandbox: { mode, requested: "auto", limits: null } } })
    const ranIn = (mode: string) => decode(`${mode}.json`, sandboxed(iloBenchFile([iloBenchRow("a", "ilo", "m", [attempt(1, "working", "p", null)])]), mode))
    expect(compareSummary(compareSweeps(mergeSources([ranIn("bwrap")]), mergeSources([ranIn("none")])))).toContain("Note: Settings that differ between A and B: sandbox bwrap vs none.")
    expect(compareSummary(compareSweeps(mergeSources([ranIn("bwrap")]), mergeSources([ranIn("bwrap")])))).not.toContain("Settings that differ")
    const none = compareSweeps(mergeSources([decode("x.json", iloBenchFile([{ ...iloBenchRow("b", "ilo", "m", []), final_outcome: "error" }]))]), mergeSources([b]))
    expect(compareSummary(none)).toContain("on 0 task(s) measured in both: success – -> – (–; McNemar exact p=–)")
  })

  it("knows the prompt layout of the ilo project's files, and says when it differs", () => {
    const ours = (layout: string) => {
      const file = iloBenchFile([iloBenchRow("t1", "ilo", "haiku", [attempt(1, "working", "p", null)])])
      return decode(`${layout}.json`, { ...file, config: { ...file.config, prompt_layout: layout, prompt_cache: "warm" } })
    }
    const seed = decode("seed.json", seedFile([seedRow("t1", "ilo", "haiku", "working")]))
    const later = decode("later.json", laterFile("ilo", [laterRow("t1", "ilo", "haiku", "working", 0.002, { align: true })]))
    expect(compareSummary(compareSweeps(mergeSources([seed]), mergeSources([ours("aligned")])))).toContain("Settings that differ between A and B: prompt_layout seed vs aligned.")
    expect(compareSummary(compareSweeps(mergeSources([later]), mergeSources([ours("seed")])))).toContain("prompt_layout aligned vs seed.")
    expect(compareSummary(compareSweeps(mergeSources([later]), mergeSources([ours("aligned")])))).not.toContain("Settings that differ")
  })

  it("the change in mean tokens to success resamples the tasks, the same draw for both sides: two identical runs change by 0, with no spread", () => {
    const rows = ["a", "b", "c", "d", "e", "f"].map((t, i) => laterRow(t, "ilo", "m", "working", 0.01, { input_tokens: 500 * (i + 1) * (i + 1), generation_tokens: 50 }))
    const side = (name: string) => mergeSources([decode(name, laterFile("ilo", rows))])
    const g = compareSweeps(side("a.json"), side("b.json")).groups[0]!
    expect(g.tokens).toMatchObject({ estimate: 0, low: 0, high: 0 })
  })

  it("pairs each trial with the same trial on the other side", () => {
    // Two tasks, three trials each: A works in trial 1 only, B in every trial.
    const rows = (works: (trial: number) => boolean) =>
      ["a", "b"].flatMap((t) =>
        [1, 2, 3].map((trial) => ({ ...iloBenchRow(t, "ilo", "m", [attempt(1, works(trial) ? "working" : "failed", "p", works(trial) ? null : "x")]), trial }))
      )
    const c = compareSweeps(mergeSources([decode("a.json", iloBenchFile(rows((n) => n === 1)))]), mergeSources([decode("b.json", iloBenchFile(rows(() => true)))]))
    expect(c.runs).toHaveLength(6)
    expect(c.groups[0]).toMatchObject({ paired: 6, rateA: 2 / 6, rateB: 1 })
    expect(c.groups[0]!.mcnemar).toMatchObject({ onlyA: 0, onlyB: 4 })
    const summary = compareSummary(c)
    expect(summary).toContain("6 run(s) in both, 4 better, 0 worse, 2 unchanged")
    expect(summary).toContain("ilo/m, on 6 run(s) (task and trial) measured in both")
    expect(renderCompareMarkdown(c)).toContain("| task | trial | language | model | outcome A |")
  })
})

describe("the HTML report's figures", () => {
  it("says which runs a cost covers, averages wall time over measured runs, and counts a grid with runs missing", async () => {
    const run = (task: string, model: string, outcome: Parameters<typeof result>[1], cost: number | null, wall: number) => ({ ...result(task, outcome), model, cost_usd: cost, wall_time_s: wall })
    const results = [run("t1", "haiku", "working", 0.01, 1.0), run("t2", "haiku", "error", 0, 0), run("t1", "local", "working", null, 2.0)]
    const report = { generated: "2026-12-02T00:00:00.000Z", harness: "ilo-bench", harness_version: "0.1.0", complete: false, config: { retry_cap: 5, languages: [], models: [] }, skills: [], notes: [], results }
    const html = [...(await Effect.runPromise(renderHtml(mergeSources([sourceOfReport(report as any, "r.json")]))))].join("")
    expect(html).toContain("<span>runs of 4: 2 tasks × 1 language × 2 models</span>")
    expect(html).toContain("<b>$0.010</b><span>cost of the 2 priced runs (1 with no price)</span>")
    // python/haiku: the error run's 0 s is not averaged in.
    expect(html).toMatch(/· haiku<\/span><\/td>(?:(?!<\/tr>).)*<td>1\.0s<\/td><td>[^<]*<\/td><\/tr>/s)
  })
})

describe("anchors of runs in the HTML report", () => {
  it("differ for different runs, however their names are spelled", () => {
    const names = ["a_b", "a.b", "a b", "a--b", "a-", "-a", "a", "b", "a-b", "é", "e"]
    const anchors = names.flatMap((task) => ["x", "x--y", "y"].map((language) => runAnchor({ task, language, model: "m" })))
    expect(new Set(anchors).size).toBe(anchors.length)
    expect(runAnchor({ task: "simple-function", language: "ilo", model: "haiku", trial: 4 })).toBe("run-simple-function--ilo--haiku--trial-4")
  })
})

describe("Markdown of names from a tasks file", () => {
  it("escapes what would break a table or open HTML", () => {
    const results = [{ ...result("pipe|id"), task: "pipe|id" }, { ...result("x"), task: "<img src=x onerror=alert(1)>" }]
    const report = {
      generated: "2026-12-02T00:00:00.000Z", harness: "ilo-bench", harness_version: "0.1.0", complete: true, planned_runs: 2,
      config: { retry_cap: 5, languages: [{ name: "python" }], models: [{ key: "haiku", id: "claude-haiku-4-5" }] }, skills: [], notes: ["see <b>this</b>"], results
    } as any
    const cells = (line: string) => line.replace(/\\\|/g, "").split("|").length
    const named = { ...report, results: results.map((r) => ({ ...r, model: "<b>m</b>", language: "py<i>x</i>" })) }
    expect(renderSweepMarkdown(mergeSources([sourceOfReport(named, "r<s>.json")]))).not.toMatch(/<b>|<i>|<s>/)
    for (const md of [renderMarkdown(report), renderSweepMarkdown(mergeSources([sourceOfReport(report, "r.json")]))]) {
      expect(md).not.toMatch(/<img|<b>/)
      const rows = md.split("\n").filter((l) => l.startsWith("| pipe"))
      expect(rows.length).toBeGreaterThan(0)
      const header = md.split("\n").find((_, i, all) => all[i + 2] === rows[0])
      for (const row of rows) expect(cells(row)).toBe(cells(header!))
      expect(md).toContain("pipe\\|id")
    }
  })
})

describe("a partial benchmark's denominators", () => {
  it("come from the plan in the checkpoint header, not from the runs that finished", async () => {
    const tasks = Array.from({ length: 53 }, (_, i) => `task-${i}`)
    const config = {
      languages: ["ilo", "python", "javascript"].map((name) => ({ name, command: [name, "{file}"], extension: ".x", docs: "none" })),
      models: [{ key: "haiku", id: "claude-haiku-4-5" }],
      trials: 2
    }
    const finished = ["task-0", "task-1", "task-2", "task-3", "task-4"].flatMap((t) => ["ilo", "python"].map((language) => ({ type: "run" as const, result: { ...result(t), language } })))
    const text = [{ ...checkpointHeader(config as any), planned_runs: 318, tasks }, ...finished].map(encodeLine).join("")
    const file = join(mkdtempSync(join(tmpdir(), "ilo-bench-plan-")), "run.jsonl")
    writeFileSync(file, text)
    const sweep = mergeSources([await Effect.runPromise(readCheckpointSource(file))])
    const html = [...(await Effect.runPromise(renderHtml(sweep)))].join("")
    expect(html).toContain("runs of 318 planned: 53 tasks × 3 languages × 1 model × 2 trials")
    expect(renderSweepMarkdown(sweep)).toContain("Tasks: 5 with results, of 53 planned (10 of 318 runs)")
  })

  it("a partial run's own report takes the plan from its planned runs", async () => {
    const report = {
      generated: "2026-12-02T00:00:00.000Z", harness: "ilo-bench", harness_version: "0.1.0", complete: false, planned_runs: 30,
      config: { retry_cap: 5, languages: ["ilo", "python", "javascript"].map((name) => ({ name, docs: "none" })), models: [{ key: "haiku", id: "claude-haiku-4-5" }] },
      skills: [], notes: [], results: [result("t1"), { ...result("t1"), language: "ilo" }]
    } as any
    const html = [...(await Effect.runPromise(renderHtml(mergeSources([sourceOfReport(report, "r.json")]))))].join("")
    expect(html).toContain("runs of 30 planned: 10 tasks × 3 languages × 1 model")
  })
})

describe("the head to head's cost ratio", () => {
  it("is unknown when a pair's run has no cost, not the ratio over the priced pairs under the count of all", () => {
    const rows = [
      laterRow("t1", "ilo", "dsflash", "working", 0.01),
      laterRow("t2", "ilo", "dsflash", "working", 0.01),
      laterRow("t1", "python", "dsflash", "working", 0.02),
      laterRow("t2", "python", "dsflash", "working", 0, { cost_usd: null })
    ]
    const decoded = decodeResults("legs.json", JSON.stringify(laterFile("python", rows)))
    if (Either.isLeft(decoded)) throw decoded.left
    const [h] = headToHead(analyse(mergeSources([decoded.right])), "ilo")
    expect(h).toMatchObject({ language: "python", tasks: 2, tokenRatio: 1 })
    expect(h!.costRatio).toBeUndefined()
  })
})

describe("the run's own Markdown report", () => {
  it("has the head to head against ilo that the HTML and `report` have", () => {
    const results = ["t1", "t2"].flatMap((t) => [{ ...result(t), language: "ilo" }, { ...result(t), language: "python" }])
    const report = {
      generated: "2026-12-02T00:00:00.000Z", harness: "ilo-bench", harness_version: "0.1.0", complete: true, planned_runs: 4,
      config: { retry_cap: 5, languages: [{ name: "ilo" }, { name: "python" }], models: [{ key: "haiku", id: "claude-haiku-4-5" }], prompt_layout: "seed" },
      skills: [], notes: [], results
    } as any
    const md = renderMarkdown(report)
    expect(md).toContain("## Head to head against ilo")
    expect(md).toMatch(/\| haiku \| python \| 2 \| 100% \/ 100% \| 1\.00× \|/)
  })
})
