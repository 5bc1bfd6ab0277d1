import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect, Either, Option } from "effect"
import { decodeRunFlags } from "../src/config/RunFlags.js"
import { InvalidFlag } from "../src/domain/errors.js"
import { parseShard, resolveShard, shardOfKey } from "../src/config/Shard.js"
import { runKey } from "../src/loop/Plan.js"
import { runCli } from "./support/cli.js"
import { lastUserText, startFakeAnthropic, type FakeServer, type Reply } from "./support/fakeAnthropic.js"
import { makeStandInIlo, type StandInIlo } from "./support/standInIlo.js"

const shardOf = (flag: string | undefined, env: Record<string, string>, shards?: number) => {
  const s = resolveShard(flag, shards, env)
  return s instanceof InvalidFlag ? `ERROR ${s.message}` : s === undefined ? "none" : `${s.index}/${s.count} ${s.from}`
}

/** `run`'s flags at their defaults, as the command line hands them to the schema. */
const defaults = {
  ilo: "ilo", retryCap: 5, model: "both", task: [], category: [], lang2Name: Option.none(), lang2Bin: Option.none(), lang2Ext: ".zero",
  lang2Docs: Option.none(), python: false, dryRun: false, outputDir: "bench", tasksFile: Option.none(), concurrency: 4, align: true,
  cache: "warm", maxCost: Option.none(), rpm: Option.none(), programConcurrency: 2, maxTokens: 1024, requestTimeout: 90, runTimeout: 20,
  apiRetries: 4, baseUrl: Option.none(), context: "core", allowLanguageNamed: false, provider: "anthropic", lang: [], trials: 1, confirm: 1,
  temperature: Option.none(), thinkingBudget: Option.none(), record: Option.none(), replay: Option.none(), replayFallthrough: false,
  sandbox: "auto", sandboxMemoryMb: 2048, sandboxProcesses: 256, sandboxFileMb: 64, resume: Option.none(), force: false, retryErrors: false,
  shard: Option.none(), shards: Option.none(), quiet: false, baseline: "ilo", batch: false, batchPoll: 30, countTokens: Option.none()
} as const

describe("the flags' schema checks what needs no file", () => {
  const refusal = (more: Partial<Record<keyof typeof defaults, unknown>>) => {
    const decoded = Effect.runSync(Effect.either(decodeRunFlags({ ...defaults, ...more } as typeof defaults)))
    return Either.isLeft(decoded) ? `ERROR: ${decoded.left.message}` : "ok"
  }
  it("--shard's syntax and range, --shards, --base-url and --baseline: the same one line as before, when the flags are decoded", () => {
    expect(refusal({})).toBe("ok")
    expect(refusal({ shard: Option.some("2/3") })).toBe("ok")
    expect(refusal({ shard: Option.some("auto"), shards: Option.some(3) })).toBe("ok")
    expect(refusal({ shard: Option.some("4/3") })).toBe("ERROR: --shard: the shard must be 1 to 3, got 4")
    expect(refusal({ shard: Option.some("2") })).toMatch(/^ERROR: --shard: expected I\/N/)
    expect(refusal({ shard: Option.some("2/3"), shards: Option.some(3) })).toMatch(/^ERROR: --shards: only with --shard auto/)
    expect(refusal({ shards: Option.some(0) })).toBe("ERROR: --shards: must be at least 1, got 0")
    expect(refusal({ baseUrl: Option.some("not a url") })).toBe("ERROR: --base-url: not a URL: not a url")
    expect(refusal({ baseline: " " })).toBe("ERROR: --baseline: must not be empty")
  })
})

describe("--shard I/N and --shard auto", () => {
  it("I/N is counted from 1; anything else is refused with the flag named", () => {
    expect(shardOf("2/3", {})).toBe("2/3 --shard")
    expect(shardOf(undefined, {})).toBe("none")
    expect(shardOf("0/3", {})).toBe("ERROR --shard: the shard must be 1 to 3, got 0")
    expect(shardOf("4/3", {})).toBe("ERROR --shard: the shard must be 1 to 3, got 4")
    expect(shardOf("2", {})).toMatch(/^ERROR --shard: expected I\/N/)
    expect(shardOf("2/3", {}, 3)).toMatch(/^ERROR --shards: only with --shard auto/)
    expect(parseShard("1/1")).toEqual({ index: 1, count: 1, from: "--shard" })
  })

  // The environment each engine gives its tasks, as in the README's examples.
  it("a Kubernetes Indexed Job: JOB_COMPLETION_INDEX is 0-based, the count comes from --shards", () => {
    expect(shardOf("auto", { JOB_COMPLETION_INDEX: "0" }, 3)).toBe("1/3 JOB_COMPLETION_INDEX (Kubernetes)")
    expect(shardOf("auto", { JOB_COMPLETION_INDEX: "2" }, 3)).toBe("3/3 JOB_COMPLETION_INDEX (Kubernetes)")
    expect(shardOf("auto", { JOB_COMPLETION_INDEX: "3" }, 3)).toMatch(/index 3 is not below the number of shards, 3/)
    expect(shardOf("auto", { JOB_COMPLETION_INDEX: "1" })).toMatch(/give --shards N/)
  })

  it("a GitHub Actions matrix: ILO_BENCH_SHARD_INDEX and ILO_BENCH_SHARD_COUNT from strategy.job-index and job-total", () => {
    expect(shardOf("auto", { GITHUB_ACTIONS: "true", ILO_BENCH_SHARD_INDEX: "1", ILO_BENCH_SHARD_COUNT: "3" })).toBe(
      "2/3 ILO_BENCH_SHARD_INDEX/ILO_BENCH_SHARD_COUNT"
    )
  })

  it("a SLURM array: counted from its MIN in its STEPs, of COUNT (or MIN..MAX) tasks", () => {
    // sbatch --array=1-3
    const slurm = { SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "3", SLURM_ARRAY_TASK_COUNT: "3", SLURM_ARRAY_TASK_STEP: "1" }
    expect(shardOf("auto", { ...slurm, SLURM_ARRAY_TASK_ID: "1" })).toBe("1/3 SLURM_ARRAY_TASK_ID (SLURM)")
    expect(shardOf("auto", { ...slurm, SLURM_ARRAY_TASK_ID: "3" })).toBe("3/3 SLURM_ARRAY_TASK_ID (SLURM)")
    // --array=0-8:4 without COUNT: 0, 4, 8
    expect(shardOf("auto", { SLURM_ARRAY_TASK_ID: "4", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "8", SLURM_ARRAY_TASK_STEP: "4" })).toBe(
      "2/3 SLURM_ARRAY_TASK_ID (SLURM)"
    )
    expect(shardOf("auto", { ...slurm, SLURM_ARRAY_TASK_ID: "2" }, 4)).toMatch(/the array has 3 task\(s\), but --shards says 4/)
  })

  it("auto refuses an environment that names no shard of the count, instead of running shard 0 (none of the runs)", () => {
    // A task id below the array's MIN (variables from another job, or set by hand).
    const slurm = { SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "3", SLURM_ARRAY_TASK_COUNT: "3" }
    expect(shardOf("auto", { ...slurm, SLURM_ARRAY_TASK_ID: "0" })).toMatch(/^ERROR --shard: SLURM_ARRAY_TASK_ID \(SLURM\): task 0 is below the array's first, 1/)
    // A count that is not a number is refused, not replaced by --shards; a count that disagrees with --shards too.
    expect(shardOf("auto", { ILO_BENCH_SHARD_INDEX: "1", ILO_BENCH_SHARD_COUNT: "three" }, 3)).toMatch(/the number of shards is not a whole number/)
    expect(shardOf("auto", { ILO_BENCH_SHARD_INDEX: "1", ILO_BENCH_SHARD_COUNT: "3" }, 4)).toMatch(/ILO_BENCH_SHARD_COUNT says 3, but --shards says 4/)
    expect(shardOf("auto", { ILO_BENCH_SHARD_INDEX: "1" }, 3)).toBe("2/3 ILO_BENCH_SHARD_INDEX/ILO_BENCH_SHARD_COUNT")
  })

  it("auto with no engine's variables is refused, naming what it looked for", () => {
    expect(shardOf("auto", { HOME: "/home/x" })).toMatch(/no job engine's index found .*JOB_COMPLETION_INDEX.*SLURM_ARRAY_TASK_ID/)
  })

  it("every run lands in one shard, by its identity alone: the same whatever else is planned", () => {
    const keys = Array.from({ length: 600 }, (_, i) => runKey({ task: `t${i % 50}`, language: i % 2 ? "ilo" : "python", model: "haiku", trial: 1 + (i % 3) }))
    const shards = keys.map((k) => shardOfKey(k, 3))
    expect(new Set(shards)).toEqual(new Set([1, 2, 3]))
    // Each shard gets a fair part (a hash, not an accident of the order).
    for (const s of [1, 2, 3]) expect(shards.filter((x) => x === s).length).toBeGreaterThan(120)
    expect([...keys].reverse().map((k) => shardOfKey(k, 3))).toEqual([...shards].reverse())
  })
})

const TASKS = ["alpha", "beta", "gamma", "delta", "epsilon"].map((id, i) => ({ id, description: `Print ${i * 11}.`, expected_output: String(i * 11) }))

/** The ilo leg prints the answer; python's first attempt at every other task prints a wrong number, and the repair fixes it. */
const model = (request: { body: any }): Reply => {
  const user = lastUserText(request as any)
  const expected = /Expected output: (.*)\n/.exec(JSON.stringify(request.body.messages[0].content).replace(/\\n/g, "\n"))?.[1] ?? "?"
  const ilo = String(request.body.system).includes("ilo programming language expert")
  if (ilo) return { text: `-- run: main\necho ${expected}`, inputTokens: 900, outputTokens: 8 }
  const repair = user.startsWith("The previous")
  return Number(expected) % 22 === 0 && !repair
    ? { text: `print(${Number(expected) + 1})`, inputTokens: 250, outputTokens: 9 }
    : { text: `print(${expected})`, inputTokens: repair ? 400 : 250, outputTokens: 7 }
}

describe("sharded benchmark, end to end (built CLI, loopback model)", () => {
  let server: FakeServer
  let ilo: StandInIlo
  let dir: string
  let tasks: string
  beforeAll(async () => {
    server = await startFakeAnthropic((req) => model(req))
    ilo = makeStandInIlo()
    dir = mkdtempSync(join(tmpdir(), "ilo-bench-shard-"))
    tasks = join(dir, "tasks.json")
    writeFileSync(tasks, JSON.stringify({ tasks: TASKS }))
  })
  afterAll(() => server.close())

  const env = (extra: Record<string, string> = {}) => ({ ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: server.url, ...extra })
  const run = (out: string, extra: ReadonlyArray<string>, moreEnv: Record<string, string> = {}) =>
    runCli(["run", "--no-align", "--ilo", ilo.bin, "--python", "--model", "haiku", "--trials", "2", "--tasks-file", tasks, "--output-dir", out, ...extra], {
      env: env(moreEnv)
    })
  const filesOf = (out: string, ext: string) => readdirSync(out).filter((f) => f.endsWith(ext)).map((f) => join(out, f))
  const reportOf = (out: string) => JSON.parse(readFileSync(filesOf(out, ".json")[0]!, "utf8"))
  /** What a run's result is, its times left out. */
  const outcome = (r: any) => ({
    key: `${r.task}/${r.language}/${r.model}/${r.trial}`,
    final: r.final_outcome,
    attempts: r.attempts_total,
    tokens: [r.input_tokens, r.generation_tokens],
    cost: r.cost_usd,
    programs: r.attempts.map((a: any) => a.program)
  })
  /** The rendered report's results: from the summary to the sources, mean wall times left out. */
  const resultsPart = (md: string) => md.slice(md.indexOf("## Summary"), md.indexOf("## Sources")).replace(/\| [\d.]+ ?s \|/g, "| _ |")

  it("shards 1/3, 2/3, 3/3 run disjoint parts of the plan; merged they are the whole run's results; a missing shard is named", async () => {
    const whole = join(dir, "whole")
    const all = await run(whole, [])
    expect(all.code).toBe(0)
    const expected = reportOf(whole).results.map(outcome)
    expect(expected).toHaveLength(20)

    const shardDir = join(dir, "shards")
    const parts: Array<Array<any>> = []
    for (const i of [1, 2, 3]) {
      const r = await run(shardDir, ["--shard", `${i}/3`])
      expect(r.stderr).not.toContain("ERROR")
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`^Shard ${i}/3 \\(--shard\\): \\d+ of these 20 runs\\.$`, "m"))
      const date = new Date().toISOString().slice(0, 10)
      const report = JSON.parse(readFileSync(join(shardDir, `closed-loop-${date}-shard-${i}of3.json`), "utf8"))
      expect(report.config.shard).toEqual({ index: i, count: 3, from: "--shard", total_runs: 20 })
      expect(report.planned_runs).toBe(report.results.length)
      parts.push(report.results.map(outcome))
    }
    const keys = parts.flat().map((x) => x.key)
    // Disjoint, and together the whole plan.
    expect(new Set(keys).size).toBe(keys.length)
    expect([...keys].sort()).toEqual(expected.map((x: any) => x.key).sort())
    for (const p of parts) expect(p.length).toBeGreaterThan(0)
    // The same results, run for run.
    const byKey = new Map(parts.flat().map((x) => [x.key, x]))
    for (const e of expected) expect(byKey.get(e.key)).toEqual(e)

    // `report` of the three checkpoints: the same report as the whole run's checkpoint gives.
    const checkpoints = filesOf(shardDir, ".jsonl")
    expect(checkpoints).toHaveLength(3)
    const merged = await runCli(["report", "--output-dir", join(dir, "merged"), ...checkpoints])
    expect(merged.stderr).toBe("")
    expect(merged.code).toBe(0)
    const single = await runCli(["report", "--output-dir", join(dir, "single"), filesOf(whole, ".jsonl")[0]!])
    expect(single.code).toBe(0)
    const mergedMd = readFileSync(filesOf(join(dir, "merged"), ".md")[0]!, "utf8")
    const singleMd = readFileSync(filesOf(join(dir, "single"), ".md")[0]!, "utf8")
    expect(resultsPart(mergedMd)).toContain("| alpha |")
    expect(resultsPart(mergedMd)).toEqual(resultsPart(singleMd))

    // Shard 2 left out: said on stderr and at the top of the report.
    const two = checkpoints.find((f) => f.includes("shard-2of3"))!
    const partial = await runCli(["report", "--output-dir", join(dir, "partial"), ...checkpoints.filter((f) => f !== two)])
    expect(partial.code).toBe(0)
    expect(partial.stderr).toMatch(/WARNING: Shard\(s\) missing: 2\/3 of the benchmark of .*shard-1of3\.jsonl and .*shard-3of3\.jsonl \(given: 1\/3 and 3\/3\)/)
    expect(readFileSync(filesOf(join(dir, "partial"), ".md")[0]!, "utf8")).toMatch(/^> \*\*Shard\(s\) missing: 2\/3 /m)

    // A shard of another benchmark (another retry cap) does not complete the set: what differs is named.
    const other = join(dir, "other")
    expect((await run(other, ["--shard", "2/3", "--retry-cap", "3"])).code).toBe(0)
    const mixed = await runCli(["report", "--output-dir", join(dir, "mixed"), ...checkpoints.filter((f) => f !== two), filesOf(other, ".jsonl")[0]!])
    expect(mixed.stderr).toMatch(/WARNING: Shards of different benchmarks: .*shard-2of3\.jsonl \(shard 2\/3\) is not of the benchmark of .*shard-1of3\.jsonl \(retry cap: [^;]* 5, [^;]* 3\)/)
    expect(mixed.stderr).toContain("Shard(s) missing: 2/3 of the benchmark of")
    // Seven benchmarks and four reports, each a process of its own: minutes on a busy machine.
  }, 300_000)

  it("--dry-run with --shard plans the shard: its runs, and the most they can cost (--max-cost is per shard)", async () => {
    const dry = (extra: ReadonlyArray<string>) => run(join(dir, "dry"), ["--dry-run", ...extra])
    const most = (out: string) => Number(/Cost: +at most \$([\d.]+)/.exec(out)?.[1])
    const whole = await dry([])
    expect(whole.code).toBe(0)
    const keys = TASKS.flatMap((t) => ["ilo", "python"].flatMap((language) => [1, 2].map((trial) => runKey({ task: t.id, language, model: "haiku", trial }))))
    let sum = 0
    for (const i of [1, 2, 3]) {
      const part = await dry(["--shard", `${i}/3`])
      expect(part.code).toBe(0)
      const mine = keys.filter((k) => shardOfKey(k, 3) === i).length
      expect(part.stdout).toContain(`Shard ${i}/3 (--shard): ${mine} of these 20 runs`)
      sum += most(part.stdout)
    }
    // The shards' bounds add up to the whole benchmark's (each printed to the cent).
    expect(Math.abs(sum - most(whole.stdout))).toBeLessThanOrEqual(0.02)
    expect(most(whole.stdout)).toBeGreaterThan(0.1)
  }, 120_000)

  it("--shard auto in a SLURM array task runs the task's shard and records where it came from", async () => {
    const out = join(dir, "slurm")
    const slurm = { SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "3", SLURM_ARRAY_TASK_COUNT: "3" }
    const r = await run(out, ["--shard", "auto", "--task", "alpha"], slurm)
    expect(r.stderr).not.toContain("ERROR")
    expect(r.code).toBe(0)
    const report = reportOf(out)
    expect(report.config.shard).toEqual({ index: 2, count: 3, from: "SLURM_ARRAY_TASK_ID (SLURM)", total_runs: 4 })
    for (const x of report.results) expect(shardOfKey(runKey(x), 3)).toBe(2)
    expect(report.notes.join("\n")).toContain(`Shard 2/3 (SLURM_ARRAY_TASK_ID (SLURM)): ${report.results.length} of the benchmark's 4 planned runs`)

    const none = await run(join(dir, "none"), ["--shard", "auto"])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^ERROR: --shard: auto: no job engine's index found/m)
  }, 120_000)
})
