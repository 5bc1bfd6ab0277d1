import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { cacheSavingsUsd, costUsd, effectiveInputTokens } from "../src/domain/Cost.js"
import { costSummary } from "../src/report/Cost.js"
import { parseCatalog, retiredModels } from "../src/config/ModelCatalog.js"
import { result } from "./support/fixtures.js"
import { expectedOf, scratch } from "./support/bench.js"
import { root } from "./support/cli.js"
import { startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"

const catalog = Effect.runSync(parseCatalog("models.json", readFileSync(`${root}bench/models.json`, "utf8")))
const haiku = catalog.priceOf("claude-haiku-4-5")!

let server: FakeServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe("the stdout cost table", () => {
  it("stays aligned when a model id is longer than its column", () => {
    const rows = costSummary([result("t1"), { ...result("t2"), model: "claude-sonnet-4-5-20250929" }]).split("\n").slice(2)
    const widths = new Set(rows.map((r) => r.length))
    expect(widths.size).toBe(1)
    // The cost column ends where the header's does.
    expect(rows[0]!.indexOf("cost") + 4).toBe(rows[0]!.length)
  })
})

describe("cost", () => {
  it("prices a call from its normalised tokens at the catalog's list prices", () => {
    const t = { input: 200, cacheWrite: 6000, cacheRead: 0, output: 100 }
    // 200 x $1 + 6000 x $1.25 + 100 x $5 per million
    expect(costUsd(t, haiku)).toBeCloseTo(0.0082, 10)
    const warm = { input: 200, cacheWrite: 0, cacheRead: 6000, output: 100 }
    expect(effectiveInputTokens(warm, haiku)).toBe(800) // 200 + 6000 x 0.1
    expect(cacheSavingsUsd(warm, haiku)).toBeCloseTo(0.0054, 10) // 6000 x ($1 - $0.10)
    expect(cacheSavingsUsd(t, haiku)).toBeLessThan(0) // a write not yet read back costs extra
  })

  it("keeps the seed's aliases and knows sonnet 4.5's retirement", () => {
    expect(catalog.find("haiku")?.id).toBe("claude-haiku-4-5")
    expect(catalog.find("sonnet")?.id).toBe("claude-sonnet-4-5")
    expect(retiredModels(catalog, ["claude-sonnet-4-5", "claude-haiku-4-5"], "2026-11-29")).toEqual([])
    expect(retiredModels(catalog, ["claude-sonnet-4-5", "claude-haiku-4-5"], "2026-11-30")).toEqual([
      { id: "claude-sonnet-4-5", retires: "2026-11-30" }
    ])
  })

  it("every attempt, run and report carries its cost; stdout and Markdown show it per language and model", async () => {
    server = await startFakeAnthropic((request, n) => ({
      text: `echo ${expectedOf(request.body)}`,
      inputTokens: 50,
      outputTokens: 20,
      cacheWrite: n === 0 ? 4000 : 0,
      cacheRead: n === 0 ? 0 : 4000
    }))
    const s = scratch([
      { id: "t1", expected: "11" },
      { id: "t2", expected: "22" }
    ])
    const result = await s.run(server.url, ["--concurrency", "1"])
    expect(result.code).toBe(0)
    const report = s.report()
    const [r1, r2] = report.results
    // t1: 50 x $1 + 4000 x $1.25 + 20 x $5; t2: 50 x $1 + 4000 x $0.10 + 20 x $5 (per million)
    expect(r1.attempts[0].cost_usd).toBeCloseTo(0.00515, 9)
    expect(r1.cost_usd).toBeCloseTo(0.00515, 9)
    expect(r2.cost_usd).toBeCloseTo(0.00055, 9)
    expect(r2).toMatchObject({ input_cache_hit_tokens: 4000, input_cache_miss_tokens: 50, input_cache_write_tokens: 0, effective_input_tokens: 450 })
    expect(r2.attempts[0].total_input_tokens).toBe(4050)
    expect(r2.cache_savings_usd).toBeCloseTo(0.0036, 9)
    expect(report.config.prices["claude-haiku-4-5"]).toEqual(haiku)
    expect(result.stdout).toMatch(/Cost \(list prices\):[\s\S]*ilo\s+haiku\s+2\s+100\s+4000\s+4000\s+40\s+\$0\.0057/)
    expect(result.stdout).toMatch(/all\s+all\s+2 .*\$0\.0057/)
    expect(s.markdown()).toContain("| ilo | haiku | 2 | 100 | 4000 | 4000 | 40 | $0.0057 |")
  })

  it("--max-cost stops starting runs once spent, and the report says it is partial", async () => {
    server = await startFakeAnthropic((request) => ({ text: `echo ${expectedOf(request.body)}`, inputTokens: 10_000, outputTokens: 100 }))
    const s = scratch([1, 2, 3, 4, 5].map((n) => ({ id: `t${n}`, expected: String(n) })))
    // Each run costs $0.0105; the budget is spent after the first. The batch keeps more runs going
    // than the one model slot, but those waiting for it have not started: none of them may ask.
    const result = await s.run(server.url, ["--concurrency", "1", "--program-concurrency", "1", "--max-cost", "0.01"])
    expect(result.code).toBe(0)
    const report = s.report()
    expect(report.complete).toBe(false)
    expect(report.results).toHaveLength(1)
    expect(server.requests).toHaveLength(1)
    expect(report.notes.join("\n")).toMatch(/--max-cost 0\.01 USD was reached: \d of 5 planned run\(s\) were not started/)
    expect(result.stderr).toContain("--max-cost reached")
    const n = report.results.length
    expect(result.stdout).toContain(`\n${n}/5 runs succeeded (${5 - n} not started).`)
  })

  it("--max-cost stops starting runs once a reply comes without token counts: its cost is unknown, not $0", async () => {
    server = await startFakeAnthropic((request) => ({ text: `echo ${expectedOf(request.body)}`, noUsage: true }))
    const s = scratch([1, 2, 3, 4, 5].map((n) => ({ id: `t${n}`, expected: String(n) })))
    const result = await s.run(server.url, ["--concurrency", "1", "--program-concurrency", "1", "--max-cost", "100"])
    expect(result.code).toBe(0)
    expect(server.requests).toHaveLength(1)
    const report = s.report()
    expect(report.complete).toBe(false)
    expect(report.results.map((r: any) => r.cost_usd)).toEqual([null])
    expect(report.notes.join("\n")).toMatch(/--max-cost 100 USD could not be kept: a reply came without token counts.*4 of 5 planned run\(s\) were not started/)
    expect(result.stderr).toContain("WARNING: --max-cost: a reply came without token counts, so the spend is unknown; 4 run(s) were not started.")
    // A resume keeps that run, whose cost is still unknown: it starts nothing either.
    const checkpoint = readdirSync(s.out).find((f) => f.endsWith(".jsonl"))!
    const resumed = await s.run(server.url, ["--concurrency", "1", "--program-concurrency", "1", "--max-cost", "100", "--resume", join(s.out, checkpoint)])
    expect(resumed.code).toBe(0)
    expect(server.requests).toHaveLength(1)
    expect(s.report().notes.join("\n")).toMatch(/could not be kept.*4 of 5 planned run\(s\) were not started/)
  })

  it("--max-cost on a resume counts what the kept runs cost: the cap is the whole benchmark's", async () => {
    server = await startFakeAnthropic((request) => ({ text: `echo ${expectedOf(request.body)}`, inputTokens: 10_000, outputTokens: 100 }))
    const s = scratch([1, 2, 3, 4, 5].map((n) => ({ id: `t${n}`, expected: String(n) })))
    const capped = ["--concurrency", "1", "--program-concurrency", "1", "--max-cost", "0.01"]
    // Each run costs $0.0105: the first session spends the whole cap on one run.
    expect((await s.run(server.url, capped)).code).toBe(0)
    expect(server.requests).toHaveLength(1)
    const checkpoint = readdirSync(s.out).find((f) => f.endsWith(".jsonl"))!
    // The resume the report suggests repeats --max-cost: it must not start another run.
    const resumed = await s.run(server.url, [...capped, "--resume", join(s.out, checkpoint)])
    expect(resumed.code).toBe(0)
    expect(server.requests).toHaveLength(1)
    const report = s.report()
    expect(report.results).toHaveLength(1)
    expect(report.notes.join("\n")).toMatch(/--max-cost 0\.01 USD was reached: 4 of 5 planned run\(s\) were not started/)
  })

  it("--max-cost lets the next run ask as soon as a run has its first reply, not after its program", async () => {
    const s = scratch([1, 2].map((n) => ({ id: `t${n}`, expected: String(n) })))
    const mark = join(s.dir, "first-program-done")
    const markSeen: Array<boolean> = []
    // The first program takes half a second, then leaves a mark; the server notes whether the
    // second run's request came before it.
    server = await startFakeAnthropic((request, n) => {
      markSeen.push(existsSync(mark))
      const expected = expectedOf(request.body)
      return { text: n === 0 ? `sleep 0.5; touch ${mark}; echo ${expected}` : `echo ${expected}`, inputTokens: 100, outputTokens: 10 }
    })
    const result = await s.run(server.url, ["--concurrency", "1", "--program-concurrency", "2", "--max-cost", "100"])
    expect(result.code).toBe(0)
    expect(s.report().results.map((r: any) => r.final_outcome)).toEqual(["working", "working"])
    expect(markSeen).toEqual([false, false])
  })

  it("--max-cost with a model that has no list price is refused before any request", async () => {
    server = await startFakeAnthropic(() => ({ text: "echo 1" }))
    const s = scratch([{ id: "t1", expected: "1" }])
    const result = await s.run(server.url, ["--model", "some-unpriced-model-1", "--max-cost", "1"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--max-cost: no list price for some-unpriced-model-1")
    expect(server.requests).toHaveLength(0)
  })
})
