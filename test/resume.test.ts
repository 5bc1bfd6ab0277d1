import { describe, expect, it } from "vitest"
import type { RunConfig } from "../src/domain/RunConfig.js"
import { plan } from "../src/loop/Plan.js"
import { configDifferences, planResume } from "../src/session/Resume.js"
import { invokedAs, resumeCommand } from "../src/report/ResumeHint.js"
import { config, header, replyLine, result } from "./support/fixtures.js"
import { python, task } from "./support/layers.js"

const now = (partial: Partial<RunConfig> = {}) => ({ config: config(partial), skills: header().skills })

describe("which configuration differences refuse a resume", () => {
  it("the same configuration resumes", () => {
    expect(configDifferences(header(), now())).toEqual([])
  })

  const changesResults: ReadonlyArray<readonly [string, Partial<RunConfig>]> = [
    ["tasks file (sha256)", { tasks_sha256: "c".repeat(64) }],
    ["task filter (--task)", { task_filter: "t1" }],
    ["models", { models: [{ key: "sonnet", id: "claude-sonnet-4-5" }] }],
    ["models", { models: [{ key: "haiku", id: "claude-haiku-4-6" }] }],
    ["languages", { languages: [] }],
    ["languages", { languages: [{ name: "python", command: ["python3.13", "{file}"], extension: ".py", docs: "none" }] }],
    ["languages", { languages: [{ name: "python", command: ["python3", "{file}"], extension: ".py", docs: "file py.md" }] }],
    ["ilo version", { ilo_version: "ilo 0.12.0" }],
    ["provider", { provider: "openai" }],
    ["retry cap", { retry_cap: 3 }],
    ["max tokens", { max_tokens: 4096 }],
    ["run timeout (s)", { run_timeout_s: 5 }],
    ["prompt layout", { prompt_layout: "cached" }],
    ["prompt cache", { prompt_cache: "cold" }],
    ["token counting (--count-tokens)", { count_tokens: "anthropic" }],
    ["batch (--batch)", { batch: true }],
    ["trials", { trials: 3 }],
    ["confirm", { confirm: 2 }],
    ["temperature", { temperature: 0.2 }],
    ["thinking budget", { thinking_budget: 2048 }]
  ]
  it.each(changesResults)("%s differs: refused, and the message names it with what differs", (name, change) => {
    const differences = configDifferences(header(), now(change))
    expect(differences).toHaveLength(1)
    expect(differences[0]).toMatch(new RegExp(`^${name.replace(/[()]/g, "\\$&")}: (checkpoint .+, now .+|only (the checkpoint has|now) .+)$`))
  })

  it("programs that ran in the sandbox and programs that did not are not mixed in one report: the sandbox and its limits differ, refused", () => {
    const bwrap = { mode: "bwrap" as const, requested: "auto", limits: { memory_mb: 2048, processes: 256, file_mb: 64, cpu_s: 21 } }
    const saved = { ...header(), config: config({ sandbox: bwrap }) }
    expect(configDifferences(saved, now({ sandbox: { mode: "none", requested: "none", limits: null } }))).toEqual([
      expect.stringMatching(/^sandbox: checkpoint .*bwrap.*, now .*none/)
    ])
    expect(configDifferences(saved, now({ sandbox: { ...bwrap, limits: { ...bwrap.limits, memory_mb: 512 } } }))).toEqual([expect.stringMatching(/^sandbox: /)])
    // What was asked for does not matter, only where the programs ran; a checkpoint from before the sandbox ran them without one.
    expect(configDifferences(saved, now({ sandbox: { ...bwrap, requested: "bwrap" } }))).toEqual([])
    // The CPU backstop is the run timeout times the machine's cores: another machine is the same benchmark.
    expect(configDifferences(saved, now({ sandbox: { ...bwrap, limits: { ...bwrap.limits, cpu_s: 999 } } }))).toEqual([])
    expect(configDifferences(header(), now({ sandbox: { mode: "none", requested: "none", limits: null } }))).toEqual([])
  })

  it("the skill modules sent (by hash) differ: refused, naming the module on each side", () => {
    // Two modules, one left out and one added: what only each side has.
    const two = { ...header(), skills: [...header().skills, { module: "ilo-io", source: "ilo skill get", sha256: "e".repeat(64), bytes: 5 }] }
    const other2 = { config: config(), skills: [...header().skills, { module: "ilo-text", source: "ilo skill get", sha256: "f".repeat(64), bytes: 5 }, { module: "ilo-math", source: "ilo skill get", sha256: "a".repeat(64), bytes: 5 }] }
    expect(configDifferences(two, other2)).toEqual(["skill modules: only the checkpoint has ilo-io@eeeeeeeeeeee; only now ilo-text@ffffffffffff, ilo-math@aaaaaaaaaaaa"])
    const other = { config: config(), skills: [{ ...header().skills[0]!, sha256: "d".repeat(64) }] }
    expect(configDifferences(header(), other)).toEqual(["skill modules: checkpoint ilo-language@bbbbbbbbbbbb, now ilo-language@dddddddddddd"])
  })

  it("a language left out: the message names it, not the long start the two lists share", () => {
    const ilo = { name: "ilo", command: ["ilo", "{file}", "main"], extension: ".ilo", docs: "ilo skill modules: " + "ilo-language, ".repeat(6) }
    const py = { name: "python", command: ["python3", "{file}"], extension: ".py", docs: "none" }
    const saved = { ...header(), config: config({ languages: [ilo, py] }) }
    expect(configDifferences(saved, now({ languages: [ilo] }))).toEqual(["languages: only the checkpoint has python: python3 {file} (.py; docs: none)"])
  })

  it("one long list entry changed at its end: both sides shown from where they part", () => {
    const leg = (docs: string) => ({ name: "ilo", command: ["ilo", "{file}", "main"], extension: ".ilo", docs: "ilo skill modules: " + "ilo-language, ".repeat(6) + docs })
    const saved = { ...header(), config: config({ languages: [leg("io")] }) }
    const [difference] = configDifferences(saved, now({ languages: [leg("text")] }))
    expect(difference).toMatch(/^languages: checkpoint \.\.\..*ilo-language, io\), now \.\.\..*ilo-language, text\)$/)
  })

  it("two long values that share a start are shown from where they part", () => {
    const saved = { ...header(), config: config({ ilo_version: "ilo 0.11.6 " + "x".repeat(100) + " build A" }) }
    const [difference] = configDifferences(saved, now({ ilo_version: "ilo 0.11.6 " + "x".repeat(100) + " build B" }))
    expect(difference).toBe(`ilo version: checkpoint ...${"x".repeat(13)} build A, now ...${"x".repeat(13)} build B`)
  })

  it("what changes only speed or plumbing does not refuse: concurrency, API timeout and retries, base URL, tasks file path", () => {
    expect(
      configDifferences(
        header(),
        now({ concurrency: 16, request_timeout_s: 10, api_retries: 0, base_url: "http://127.0.0.1:1", tasks_file: "moved/tasks.json" })
      )
    ).toEqual([])
  })

  it("--count-tokens: a checkpoint that does not record it (an older one, or one without counting) counts as none", () => {
    const counted = { ...header(), config: config({ count_tokens: "anthropic" }) }
    expect(configDifferences(counted, now())).toEqual(["token counting (--count-tokens): checkpoint anthropic, now none"])
    expect(configDifferences(header(), now({ count_tokens: "anthropic" }))).toEqual(["token counting (--count-tokens): checkpoint none, now anthropic"])
    expect(configDifferences(counted, now({ count_tokens: "anthropic" }))).toEqual([])
    expect(configDifferences(header(), now({ count_tokens: "none" }))).toEqual([])
  })

  it("a field the checkpoint's harness did not record counts as different", () => {
    const old = header()
    const { ilo_version: _dropped, ...rest } = old.config
    expect(configDifferences({ ...old, config: rest as RunConfig }, now())).toEqual([
      "ilo version: checkpoint none, now ilo 0.11.6"
    ])
  })
})

describe("what a resume runs", () => {
  const runs = plan([task("t1"), task("t2"), task("t3"), task("t4")], [python], [{ key: "haiku", id: "claude-haiku-4-5" }])

  it("only the runs missing from the checkpoint, in the seed's order", () => {
    const p = planResume(runs, [result("t3"), result("t1", "failed")], false)
    expect(p.todo.map((s) => s.task.id)).toEqual(["t2", "t4"])
    expect([...p.kept.keys()].sort()).toEqual([0, 2])
    expect(p.wasComplete).toBe(false)
  })

  it("runs that ended in error are run again when the checkpoint was interrupted", () => {
    const p = planResume(runs, [result("t1"), result("t2", "error")], false)
    expect(p.todo.map((s) => s.task.id)).toEqual(["t2", "t3", "t4"])
    expect(p.errorsRerun).toBe(1)
  })

  it("a complete checkpoint runs nothing, unless --retry-errors, which runs only its errors", () => {
    const recorded = [result("t1"), result("t2", "error"), result("t3", "partial"), result("t4", "error")]
    expect(planResume(runs, recorded, false).todo).toEqual([])
    const retry = planResume(runs, recorded, true)
    expect(retry.todo.map((s) => s.task.id)).toEqual(["t2", "t4"])
    expect(retry.wasComplete).toBe(true)
  })

  it("a run recorded twice (an error, then its re-run) counts by its last line", () => {
    const p = planResume(runs, [result("t1", "error"), result("t2"), result("t3"), result("t4"), result("t1")], false)
    expect(p.todo).toEqual([])
    expect(p.kept.get(0)!.final_outcome).toBe("working")
  })

  it("a run to do continues from the replies recorded for its attempts 1, 2, ... up to the first one missing", () => {
    const replies = [replyLine("t2", 1), replyLine("t3", 2), replyLine("t2", 2), replyLine("t2", 4), replyLine("t1", 1)]
    const p = planResume(runs, [result("t1")], false, replies)
    expect(p.todo.map((s) => [s.task.id, (s.recorded ?? []).map((r) => r.attempt)])).toEqual([
      ["t2", [1, 2]], // attempt 4 comes after a gap: the model is asked again from attempt 3
      ["t3", []], // no attempt 1
      ["t4", []]
    ])
    expect(p.kept.has(0)).toBe(true) // a finished run replays nothing
    expect([p.continued, p.repliesReused]).toEqual([1, 2])
  })

  it("a run re-run because it ended in error continues from the replies it had before the error", () => {
    const p = planResume(runs, [result("t1", "error")], false, [replyLine("t1", 1), replyLine("t1", 2, "second")])
    expect(p.todo[0]!.recorded?.map((r) => r.reply.text)).toEqual(['print("t1")', "second"])
    expect([p.errorsRerun, p.continued, p.repliesReused]).toEqual([1, 1, 2])
  })

  it("records of runs no longer planned are ignored", () => {
    const p = planResume(runs.slice(0, 2), [result("t1"), result("t9")], false)
    expect(p.todo.map((s) => s.task.id)).toEqual(["t2"])
    expect(p.kept.size).toBe(1)
  })
})

describe("the resume command printed on an interrupt", () => {
  it("repeats the arguments, replaces an earlier --resume and drops --force and --retry-errors", () => {
    expect(
      resumeCommand(["run", "--model", "haiku", "--resume", "old.jsonl", "--force", "--retry-errors", "--task", "it's"], "out/c.jsonl")
    ).toBe(`ilo-bench run --model haiku --task 'it'\\''s' --resume out/c.jsonl`)
  })

  it("starts with the words the user typed: npx ilo-bench, ilo-bench from PATH, or node and the script", () => {
    expect(resumeCommand(["run", "--python"], "c.jsonl", [], invokedAs("/proj/node_modules/.bin/ilo-bench", { npm_command: "exec" }, "/proj"))).toBe(
      "npx ilo-bench run --python --resume c.jsonl"
    )
    expect(invokedAs("/usr/local/bin/ilo-bench", {}, "/home/u")).toEqual(["ilo-bench"])
    expect(invokedAs("/home/u/ilo-bench/dist/bin.js", {}, "/home/u/ilo-bench")).toEqual(["node", "dist/bin.js"])
    expect(invokedAs("/opt/ilo-bench/dist/bin.js", {}, "/home/u")).toEqual(["node", "/opt/ilo-bench/dist/bin.js"])
  })

  it("leaves a base URL's credentials out (it is printed and written into the reports)", () => {
    expect(resumeCommand(["run", "--base-url", "http://u:pw-secret@127.0.0.1:9/v1", "--base-url=https://u:pw@h/x?key=k"], "c.jsonl")).toBe(
      "ilo-bench run --base-url http://127.0.0.1:9/v1 '--base-url=https://h/x?[redacted]' --resume c.jsonl"
    )
  })
})
