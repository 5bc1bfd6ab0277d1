import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./support/cli.js"
import { lastUserText, startFakeAnthropic, type FakeServer, type Reply } from "./support/fakeAnthropic.js"
import { makeStandInIlo, type StandInIlo } from "./support/standInIlo.js"

const KEY = "sk-ant-test-secret-0123456789"

const tasksFile = (dir: string, tasks: ReadonlyArray<Record<string, unknown>>) => {
  const file = join(dir, "tasks.json")
  writeFileSync(file, JSON.stringify({ tasks }))
  return file
}

const TASKS = [
  { id: "sum", description: "Print 55.", expected_output: "55" },
  { id: "lines", description: "Print 5 then 0 on two lines.", expected_output: "5\\n0" }
]

/**
 * The model: ilo programs are bash under the stand-in; python programs are real python.
 * Python's first attempt at "sum" raises, and the repair (which must carry the traceback) fixes it.
 */
const model = (request: { body: any }): Reply => {
  const user = lastUserText(request as any)
  const ilo = String(request.body.system).includes("ilo programming language expert")
  const task = user.includes("Print 55.") ? "sum" : "lines"
  const repair = user.startsWith("The previous")
  if (ilo) return { text: task === "sum" ? "-- run: main\necho 55" : "-- run: main\nprintf '5\\n0\\n'", inputTokens: 1000, outputTokens: 12 }
  if (task === "sum")
    return repair && user.includes("ZeroDivisionError")
      ? { text: "print(55)", inputTokens: 300, outputTokens: 7 }
      : { text: "print(1/0)", inputTokens: 250, outputTokens: 9 }
  return { text: "```python\nprint(5)\nprint(0)\n```", inputTokens: 260, outputTokens: 11 }
}

describe("ilo-bench run, end to end (built CLI, loopback model, stand-in ilo, real python3)", () => {
  let server: FakeServer
  let ilo: StandInIlo
  let dir: string
  let out: string
  let tasks: string
  beforeAll(async () => {
    server = await startFakeAnthropic((req) => model(req))
    ilo = makeStandInIlo()
    dir = mkdtempSync(join(tmpdir(), "ilo-bench-cli-"))
    out = join(dir, "out", "nested")
    tasks = tasksFile(dir, TASKS)
  })
  afterAll(() => server.close())

  const env = () => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url })
  // The scripted model reads the seed's prompts (--no-align); the aligned layout has tests of its own.
  const args = (output = out) => ["run", "--no-align", "--ilo", ilo.bin, "--python", "--model", "haiku", "--tasks-file", tasks, "--output-dir", output]

  it("runs, prints the seed's lines, writes reports, and a second run leaves a second report", async () => {
    const first = await runCli(args(), { env: env() })
    expect(first.stderr).not.toContain("ERROR")
    expect(first.code).toBe(0)
    const lines = first.stdout.split("\n")
    expect(lines[0]).toBe("Closed-loop bench: 2 tasks × 2 languages × 1 models = 4 runs  (retry_cap=5)")
    expect(lines.filter((l) => l.startsWith("  -> outcome="))).toEqual([
      "  -> outcome=working gen_tokens=12 wall=" + lines[1]!.split("wall=")[1],
      expect.stringMatching(/^  -> outcome=working gen_tokens=16 wall=\d+\.\d+s task=sum lang=python model=haiku$/),
      expect.stringMatching(/^  -> outcome=working gen_tokens=12 /),
      expect.stringMatching(/^  -> outcome=working gen_tokens=11 /)
    ])
    expect(first.stdout).toContain("\n4/4 runs succeeded.")
    expect(first.stdout).toMatch(/^sum {20}python haiku {7}16 {8}2 working /m)

    const files = readdirSync(out).sort()
    const date = new Date().toISOString().slice(0, 10)
    expect(files).toEqual([`closed-loop-${date}.html`, `closed-loop-${date}.json`, `closed-loop-${date}.jsonl`, `closed-loop-${date}.md`])
    const report = JSON.parse(readFileSync(join(out, files[1]!), "utf8"))
    expect(report.harness).toBe("ilo-bench")
    expect(report.results.map((r: any) => `${r.task}/${r.language}`)).toEqual(["sum/ilo", "sum/python", "lines/ilo", "lines/python"])
    const py = report.results[1]
    expect(py).toMatchObject({
      task: "sum",
      language: "python",
      model: "haiku",
      model_id: "claude-haiku-4-5",
      generation_tokens: 16,
      input_tokens: 550,
      repair_tokens_by_turn: [7],
      attempts_to_success: 2,
      attempts_total: 2,
      success_rate: 1,
      final_outcome: "working",
      provider: "anthropic"
    })
    expect(py.attempts[0].error_detail).toContain("ZeroDivisionError")
    expect(report.results[3].attempts[0].unfenced).toBe(true)
    expect(report.config).toMatchObject({ retry_cap: 5, ilo_version: "ilo 0.11.6", models: [{ key: "haiku", id: "claude-haiku-4-5" }] })

    // The traceback went back to the model in the repair request.
    const repairs = server.requests.filter((r) => lastUserText(r).startsWith("The previous python program"))
    expect(repairs).toHaveLength(1)
    expect(lastUserText(repairs[0]!)).toMatch(/Error \/ actual output:\nTraceback[\s\S]*ZeroDivisionError: division by zero\n\n/)

    // Each skill module was asked of ilo once for the whole run, though two ilo runs needed them.
    const skillCalls = readFileSync(ilo.log, "utf8").split("\n").filter((l) => l.startsWith("skill get"))
    expect(skillCalls.sort()).toEqual(
      ["ilo-builtins-core", "ilo-builtins-io", "ilo-builtins-math", "ilo-builtins-text", "ilo-language"].map((m) => `skill get ${m}`)
    )
    expect(report.skills.map((s: any) => s.module).sort()).toHaveLength(5)
    // Recorded by their place in the package, not by this machine's path to it.
    expect(report.skills.map((s: any) => s.source)).toContain("skills/ilo/ilo-language.md")

    const md = readFileSync(join(out, files[3]!), "utf8")
    expect(md).toContain("# Closed-loop benchmark: ilo vs python per-task economics")
    expect(md).toContain("Retry cap: 5")
    expect(md).toContain("The `.html` report beside this file adds success rates with their 95% intervals")

    // The checkpoint the run wrote re-renders, and compares with its own JSON report, unchanged.
    const rendered = join(dir, "rendered")
    const fromCheckpoint = await runCli(["report", "--output-dir", rendered, join(out, files[2]!)])
    expect(fromCheckpoint.stderr).not.toContain("ERROR")
    // Every planned run is in it: not reported as unfinished.
    expect(fromCheckpoint.stderr).not.toContain("Partial sweep")
    expect(fromCheckpoint.code).toBe(0)
    expect(readdirSync(rendered).sort()).toEqual([`closed-loop-${date}.report.html`, `closed-loop-${date}.report.md`])
    const compared = await runCli(["compare", "--output-dir", rendered, join(out, files[2]!), join(out, files[1]!)])
    expect(compared.code).toBe(0)
    expect(compared.stdout).toMatch(/4 unchanged/)

    const second = await runCli([...args(), "--retry-cap", "3"], { env: env() })
    expect(second.code).toBe(0)
    expect(readdirSync(out).sort()).toEqual([
      `closed-loop-${date}-2.html`,
      `closed-loop-${date}-2.json`,
      `closed-loop-${date}-2.jsonl`,
      `closed-loop-${date}-2.md`,
      `closed-loop-${date}.html`,
      `closed-loop-${date}.json`,
      `closed-loop-${date}.jsonl`,
      `closed-loop-${date}.md`
    ])
    expect(readFileSync(join(out, `closed-loop-${date}-2.md`), "utf8")).toContain("Retry cap: 3")
    // The first run's report is untouched.
    expect(JSON.parse(readFileSync(join(out, files[1]!), "utf8")).config.retry_cap).toBe(5)

    // No secret on disk.
    for (const f of readdirSync(out)) expect(readFileSync(join(out, f), "utf8")).not.toContain(KEY)
  })

  it.runIf(process.platform === "linux")("a program that reads its ancestors' environments from /proc finds no key", async () => {
    // It prints the starting environment of every process above it, up to the test runner.
    const snoop = [
      "-- run: main",
      "p=$PPID; for i in 1 2 3 4 5 6 7 8; do echo \"above $i: $(cat /proc/$p/comm)\"; tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep '^ANTHROPIC_API_KEY'; p=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2); [ \"$p\" -gt 1 ] || break; done"
    ].join("\n")
    const snooping = await startFakeAnthropic(() => ({ text: snoop }))
    try {
      const output = join(dir, "snoop")
      // Without the sandbox (with it, a program sees no process above it: test/hostile.test.ts).
      const r = await runCli(["run", "--sandbox", "none", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--retry-cap", "2", "--tasks-file", tasks, "--output-dir", output], {
        env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: snooping.url }
      })
      expect(r.code).toBe(0)
      const repair = JSON.stringify(snooping.requests[1]!.body)
      // The program went up past the program host to the CLI, and the repair carried what it found...
      expect(repair).toMatch(/above \d: (programHost|node)\\nabove \d: node\\n/)
      // ...but not the key, not even redacted: the CLI had wiped its own.
      expect(repair).not.toContain(KEY)
      expect(repair).not.toContain("[redacted]")
      for (const f of readdirSync(output)) expect(readFileSync(join(output, f), "utf8")).not.toContain(KEY)
    } finally {
      await snooping.close()
    }
  })

  it("a program that prints a key of the harness's environment, plainly or encoded, has it redacted, in the repair and in the reports", async () => {
    const token = "tok-redact-0123456789"
    // Plain, and as a program trivially encodes it: base64, hex bytes, reversed.
    const encodings = `printf %s "${token}" | base64; printf %s "${token}" | od -An -tx1; printf %s "${token}" | rev`
    const printing = await startFakeAnthropic(() => ({ text: `-- run: main\necho "value: ${token}"; ${encodings}` }))
    try {
      const output = join(dir, "redact")
      // Without the sandbox (with it, a program sees no process above it: test/hostile.test.ts).
      const r = await runCli(["run", "--sandbox", "none", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--retry-cap", "2", "--tasks-file", tasks, "--output-dir", output], {
        env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: printing.url, ILO_BENCH_TEST_TOKEN: token }
      })
      expect(r.code).toBe(0)
      const repair = printing.requests[1]!.body.messages.at(-1).content as string
      expect(repair).toContain("value: [redacted]")
      expect(repair).not.toContain(token)
      for (const encoded of [Buffer.from(token).toString("base64"), "74 6f 6b 2d", [...token].reverse().join("")]) expect(repair).not.toContain(encoded)
      expect(repair.split("[redacted]").length - 1).toBe(4)
      const report = JSON.parse(readFileSync(join(output, readdirSync(output).find((f) => f.endsWith(".json"))!), "utf8"))
      expect(report.results[0].attempts[0].error_detail).toContain("value: [redacted]")
    } finally {
      await printing.close()
    }
  })

  it("a program that kills the harness is run again once on resume, then scored as having done so instead of being replayed forever", async () => {
    // It walks up from itself to the ilo-bench process running it and kills it.
    const killer = [
      "-- run: main",
      "p=$$; while [ \"$p\" -gt 1 ]; do if tr '\\0' ' ' < /proc/$p/cmdline | grep -q 'bin.js run'; then kill -9 $p; sleep 5; fi; p=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2); done"
    ].join("\n")
    const model = await startFakeAnthropic((_, n) => ({ text: n === 0 ? killer : "-- run: main\necho 55" }))
    try {
      const out = join(dir, "killer")
      // Without the sandbox: with it, a program sees no process but its own (test/hostile.test.ts).
      const args = ["run", "--sandbox", "none", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--retry-cap", "3", "--tasks-file", tasks]
      const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: model.url }
      const first = await runCli([...args, "--output-dir", out], { env })
      expect(first.signal).toBe("SIGKILL")
      const checkpoint = join(out, readdirSync(out).find((f) => f.endsWith(".jsonl"))!)
      // The first resume gives it the benefit of the doubt (the user may have killed ilo-bench): it kills it again.
      const again = await runCli([...args, "--resume", checkpoint], { env })
      expect(again.signal).toBe("SIGKILL")
      const last = await runCli([...args, "--resume", checkpoint], { env })
      expect(last.code).toBe(0)
      expect(last.stderr).toContain("1 program(s) that were running both times ilo-bench was killed are not run again and count as failed attempts")
      const report = JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))
      const [attempt1, attempt2] = report.results[0].attempts
      expect(attempt1.outcome).toBe("failed")
      expect(attempt1.error_detail).toMatch(/^ilo-bench stopped twice while this program ran/)
      expect(attempt2.outcome).toBe("working")
      // The model was asked once for the killer and once for its repair, never again for the killer.
      expect(model.requests).toHaveLength(2)
    } finally {
      await model.close()
    }
  })

  it("a base URL's user and password are not recorded", async () => {
    const output = join(dir, "userinfo")
    const withUser = server.url.replace("http://", "http://bench-user:pw-0123456789@")
    const r = await runCli(["run", "--no-align", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--tasks-file", tasks, "--output-dir", output], {
      env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: withUser }
    })
    expect(r.code).toBe(0)
    const report = JSON.parse(readFileSync(join(output, readdirSync(output).find((f) => f.endsWith(".json"))!), "utf8"))
    expect(report.config.base_url).toBe(server.url)
    for (const f of readdirSync(output)) expect(readFileSync(join(output, f), "utf8")).not.toContain("pw-0123456789")
  })

  it("a report that cannot be written: exit 1, one line saying the checkpoint has every run and how to render it", async () => {
    const output = join(dir, "blocked")
    const date = new Date().toISOString().slice(0, 10)
    // While the run works, something takes the Markdown report's path.
    const blocking = await startFakeAnthropic((req) => {
      mkdirSync(join(output, `closed-loop-${date}.md`), { recursive: true })
      return model(req)
    })
    try {
      const r = await runCli(["run", "--no-align", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--tasks-file", tasks, "--output-dir", output], {
        env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: blocking.url }
      })
      expect(r.code).toBe(1)
      const checkpoint = join(output, `closed-loop-${date}.jsonl`)
      const errors = r.stderr.trim().split("\n").filter((l) => l.startsWith("ERROR"))
      expect(errors).toHaveLength(1)
      expect(errors[0]!.startsWith(`ERROR: cannot write ${join(output, `closed-loop-${date}.md`)}: `)).toBe(true)
      expect(errors[0]).toContain(`; every run is in ${checkpoint}: \`node dist/bin.js report --output-dir DIR ${checkpoint}\` writes its Markdown and HTML reports to DIR`)
      expect(errors[0]).toMatch(/once the directory is writable `node dist\/bin\.js run .* --resume \S+\.jsonl` writes all three beside it$/)
      expect(readdirSync(output).filter((f) => f.endsWith(".tmp"))).toEqual([])
      const rendered = await runCli(["report", "--output-dir", join(dir, "blocked-rendered"), checkpoint])
      expect(rendered.code).toBe(0)
    } finally {
      await blocking.close()
    }
  })

  it("an output directory that cannot be made (under /proc, under a file): exit 1 at once, one line", async () => {
    const file = join(dir, "plain-file")
    writeFileSync(file, "")
    for (const [out, why] of [
      ["/proc/ilo-bench-nope/out", "ENOENT: no such file or directory, mkdir '/proc/ilo-bench-nope'"],
      [join(file, "sub"), `${file} is a file, not a directory`]
    ] as const) {
      const r = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--tasks-file", tasks, "--output-dir", out], { env: env() })
      expect(r.code).toBe(1)
      expect(r.stderr.trim()).toBe(`ERROR: cannot write ${out}: ${why}`)
    }
  }, 20_000)

  it("an output directory that is a file: exit 1, one line saying so, before any request", async () => {
    const file = join(dir, "a-file")
    writeFileSync(file, "")
    const before = server.requests.length
    const r = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--tasks-file", tasks, "--output-dir", file], { env: env() })
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe(`ERROR: cannot write ${file}: the output directory is a file`)
    expect(server.requests.length).toBe(before)
  })

  it("dry run needs neither a key nor ilo", async () => {
    const r = await runCli(["run", "--dry-run", "--ilo", "/nonexistent/ilo", "--tasks-file", tasks])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("Tasks:\n  [sum] Print 55....\n          expected: '55'")
  })

  it("dry run says what a run would do of a binary not found: stop for ilo or a --lang leg, skip the seed's --lang2-bin leg with a warning", async () => {
    const r = await runCli(["run", "--dry-run", "--ilo", "/nonexistent/ilo", "--lang2-name", "zz", "--lang2-bin", "/nonexistent/zz", "--lang", "yy:/nonexistent/yy:.yy", "--tasks-file", tasks])
    expect(r.code).toBe(0)
    const plan = r.stdout.slice(r.stdout.indexOf("\nPlan:\n"))
    expect(plan).toContain("\n    ilo          /nonexistent/ilo: NOT FOUND (a run stops here: install it or pass its path)\n")
    expect(plan).toContain("\n    zz           /nonexistent/zz: NOT FOUND (a run skips this language with a warning, as the seed did)\n")
    expect(plan).toContain("\n    yy           /nonexistent/yy: NOT FOUND (a run stops here: install it or pass its path)\n")
  })

  it("dry run prints the plan after the seed's task list: languages with their binaries, models, runs, a cost bound", async () => {
    const r = await runCli(["run", "--dry-run", "--ilo", ilo.bin, "--python", "--model", "both", "--trials", "2", "--retry-cap", "3", "--tasks-file", tasks])
    expect(r.code).toBe(0)
    const plan = r.stdout.slice(r.stdout.indexOf("\nPlan:\n"))
    expect(plan).toContain(`\n    ilo          ${ilo.bin}  (ilo 0.11.6)\n`)
    expect(plan).toMatch(/\n    python +\/\S+python3  \(Python 3\.\d+/)
    expect(plan).toMatch(/\n    sonnet +claude-sonnet-4-5  \(\$3 in \/ \$15 out per million tokens\)\n +WARNING: retired on 2026-11-30/)
    expect(plan).toContain("  Runs:        2 task(s) x 2 language(s) x 2 model(s) x 2 trial(s) = 16")
    const bound = Number(/Cost: +at most \$([\d.,]+) at list prices/.exec(plan)?.[1]?.replace(/,/g, ""))
    // 16 runs x 3 attempts of 1,024 output tokens at $5 or $15 per million alone: the bound is above that.
    expect(bound).toBeGreaterThan(8 * 3 * 1024 * (5 + 15) / 1e6)
    expect(bound).toBeLessThan(5)
    for (const line of r.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100)
  })

  it.runIf(process.platform === "linux" && existsSync("/usr/bin/python3"))(
    "dry run names the sandbox chosen and the interpreter it would run: bwrap takes the system's python3 over a shim on PATH",
    async () => {
      // A version manager's shim first on PATH: the unsandboxed run uses it, bwrap mounts only the system's directories.
      const shims = join(dir, "shims")
      mkdirSync(shims, { recursive: true })
      writeFileSync(join(shims, "python3"), "#!/bin/sh\necho 'Python 3.0 (shim)'\n", { mode: 0o755 })
      const env = { PATH: `${shims}:${process.env.PATH ?? ""}` }
      const plan = async (sandbox: string) => {
        const r = await runCli(["run", "--dry-run", "--ilo", ilo.bin, "--python", "--sandbox", sandbox, "--tasks-file", tasks], { env })
        expect(r.code, r.stderr).toBe(0)
        return r.stdout.slice(r.stdout.indexOf("\nPlan:\n"))
      }
      const none = await plan("none")
      expect(none).toContain(`\n    python       ${join(shims, "python3")}  (Python 3.0 (shim))\n`)
      expect(none).toContain("\n  Sandbox:     none (--sandbox none); programs run unconfined\n")
      const bwrap = await plan("bwrap")
      expect(bwrap).toMatch(/\n    python +\/usr\/bin\/python3  \(Python 3\.\d+/)
      expect(bwrap).toContain("\n  Sandbox:     bwrap (--sandbox bwrap); each program: 2048 MiB memory, 256 processes, 64 MiB files\n")
      // auto names what it came to here (CI installs bubblewrap).
      expect(await plan("auto")).toContain("\n  Sandbox:     bwrap (--sandbox auto); each program:")
    },
    60_000
  )

  it("--task and --category are repeatable and select their union", async () => {
    const r = await runCli(["run", "--dry-run", "--ilo", ilo.bin, "--task", "title-case", "--task", "rotate-list", "--category", "recursion"])
    expect(r.code).toBe(0)
    const ids = [...r.stdout.matchAll(/^  \[([^\]]+)\]/gm)].map((m) => m[1])
    expect(ids).toContain("title-case")
    expect(ids).toContain("rotate-list")
    expect(ids.length).toBeGreaterThan(3)
  })

  it("dry run still refuses what the run would: an unknown language or context, missing docs, a task naming a language", async () => {
    const dry = (...more: Array<string>) => runCli(["run", "--dry-run", "--ilo", "/nonexistent/ilo", "--tasks-file", tasks, ...more])
    for (const [more, message] of [
      [["--lang", "cobol"], /^ERROR: --lang: unknown language 'cobol'/],
      [["--lang", "rb:ruby"], /^ERROR: --lang: 'rb:ruby' is not a language defined inline: NAME:CMD:EXT\[:DOCS\] needs a name, a command and an extension/],
      [["--lang", "rb::.rb"], /^ERROR: --lang: 'rb::.rb' is not a language defined inline/],
      [["--context", "nope"], /^ERROR: --context: unknown context 'nope'/],
      [["--python", "--lang2-docs", join(dir, "nodocs.md")], /^ERROR: language docs .*nodocs\.md: not found$/],
      // Half a --lang2 leg would drop the second language without a word and run ilo alone.
      [["--lang2-name", "python"], /^ERROR: --lang2-name: needs --lang2-bin/],
      [["--lang2-bin", "python3"], /^ERROR: --lang2-bin: needs --lang2-name/],
      [["--lang2-docs", join(dir, "nodocs.md")], /^ERROR: --lang2-docs: needs the second language it documents/]
    ] as const) {
      const r = await dry(...more)
      expect(r.code).toBe(2)
      expect(r.stderr.trim()).toMatch(message)
      expect(r.stdout).toBe("")
    }
    const naming = join(dir, "naming.json")
    writeFileSync(naming, JSON.stringify({ tasks: [{ id: "py", description: "Print 1 with Python.", expected_output: "1" }] }))
    const r = await runCli(["run", "--dry-run", "--ilo", "/nonexistent/ilo", "--python", "--tasks-file", naming])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^ERROR: task 'py' names a language in its description/)
  })

  it("a second language that cannot start is skipped with a warning; the run goes on", async () => {
    const r = await runCli(
      ["run", "--ilo", ilo.bin, "--lang2-name", "zero", "--lang2-bin", "/nonexistent/zero", "--model", "haiku", "--tasks-file", tasks, "--output-dir", join(dir, "skip")],
      { env: env() }
    )
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("WARNING: lang2 binary not found: /nonexistent/zero. Skipping second language.")
    expect(r.stdout).toContain("2 tasks × 1 languages × 1 models = 2 runs")
    const md = readFileSync(join(dir, "skip", readdirSync(join(dir, "skip")).find((f) => f.endsWith(".md"))!), "utf8")
    expect(md).toContain("zero was not run: /nonexistent/zero not found")
  })

  it("a warning is one line on stderr, never on stdout (the SDK's notice for a deprecated model)", async () => {
    const r = await runCli(
      ["run", "--no-align", "--ilo", ilo.bin, "--model", "sonnet", "--task", "sum", "--tasks-file", tasks, "--output-dir", join(dir, "warn")],
      { env: env() }
    )
    expect(r.code).toBe(0)
    const warning = r.stderr.split("\n").filter((l) => l.includes("deprecated"))
    expect(warning).toEqual([expect.stringMatching(/^WARNING: The model 'claude-sonnet-4-5' is deprecated .*Please migrate/)])
    expect(r.stdout).not.toContain("deprecated")
    expect(r.stdout.split("\n")[1]).toMatch(/^  -> outcome=working /)
  })

  it("the second language's own docs go where the seed sent the no-documentation line", async () => {
    const docs = join(dir, "python-docs.md")
    writeFileSync(docs, "PYDOCS: print() writes a line.\n")
    const before = server.requests.length
    const r = await runCli([...args(join(dir, "docs")), "--task", "lines", "--lang2-docs", docs], { env: env() })
    expect(r.code).toBe(0)
    const pyRequests = server.requests.slice(before).filter((q) => !String(q.body.system).includes("ilo programming"))
    expect(lastUserText(pyRequests[0]!)).toContain("---LANGUAGE DOCUMENTATION---\nPYDOCS: print() writes a line.\n\n---END---")
  })

  it("exits 3 when runs end in error because the model cannot be reached", async () => {
    const down = await startFakeAnthropic(() => ({ status: 500 }))
    try {
      const r = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--api-retries", "0", "--concurrency", "1", "--tasks-file", tasks, "--output-dir", join(dir, "err")], {
        env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: down.url }
      })
      expect(r.code).toBe(3)
      expect(r.stdout).toContain("\n  -> outcome=error gen_tokens=0")
      expect(r.stdout).toContain("0/2 runs succeeded.")
      // Stderr names what the API answered: once as it happens, and counted at the end.
      expect(r.stderr.split("\n").filter((l) => l.startsWith("WARNING: the model API failed"))).toEqual([
        expect.stringMatching(/^WARNING: the model API failed \(server 500\): 500 /)
      ])
      expect(r.stderr).toContain('2 run(s) ended in "error": the model API gave no reply (server 500 ×2). To run only them again:')
      // So does the report.
      const md = readFileSync(join(dir, "err", readdirSync(join(dir, "err")).find((f) => f.endsWith(".md"))!), "utf8")
      expect(md).toContain('2 run(s) ended in "error": the model API gave no reply (429s, 5xx and timeouts were retried first, refusals such as 400 and 401 were not); they say nothing about the language (sum/ilo/haiku: server 500, lines/ilo/haiku: server 500).')
    } finally {
      await down.close()
    }
  })

  it("an API error carrying terminal escapes (OSC 52, clear-screen) reaches neither the terminal nor the reports raw", async () => {
    const message = "bad request \x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\x1b[H\r\u202eevil\u202c tail"
    // A proxy's plain-text page: the SDK quotes it as it came.
    const hostile = await startFakeAnthropic(() => ({ status: 400, raw: message, headers: { "content-type": "text/plain" } }))
    try {
      const out = join(dir, "escapes")
      const r = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--tasks-file", tasks, "--output-dir", out], {
        env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: hostile.url }
      })
      expect(r.code).toBe(3)
      expect(r.stderr).toContain("bad request evil tail")
      for (const text of [r.stdout, r.stderr, readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".md"))!), "utf8")])
        expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/)
    } finally {
      await hostile.close()
    }
  })

  it("a reply and a program output carrying terminal escapes reach no report raw, the HTML one included", async () => {
    // The reply is the program; the program prints the escapes too (the stand-in ilo runs it with bash).
    const escapes = "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\u202eevil\u202c"
    const hostile = await startFakeAnthropic(() => ({ text: `-- run: main\nprintf 'x\\033]52;c;aGk=\\007\\033[2J'\n# ${escapes}` }))
    try {
      const out = join(dir, "reply-escapes")
      const r = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--retry-cap", "1", "--tasks-file", tasks, "--output-dir", out], {
        env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: hostile.url }
      })
      expect(r.code).toBe(0)
      const html = readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".html"))!), "utf8")
      // The program is shown, its control characters as visible symbols.
      expect(html).toContain("␛]52;c;ZWNobyBwd25lZA==␇␛[2J")
      for (const text of [r.stdout, r.stderr, html, readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".md"))!), "utf8")])
        expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/)
    } finally {
      await hostile.close()
    }
  })

  it("survives a 429 with retry-after and a 500 without spending attempts", async () => {
    let n = 0
    const flaky = await startFakeAnthropic((req) => {
      n++
      if (n === 1) return { status: 429, headers: { "retry-after": "0" } }
      if (n === 2) return { status: 500 }
      return model(req)
    })
    try {
      const out2 = join(dir, "flaky")
      const r = await runCli(["run", "--no-align", "--ilo", ilo.bin, "--model", "haiku", "--task", "sum", "--tasks-file", tasks, "--output-dir", out2], {
        env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: flaky.url }
      })
      expect(r.code).toBe(0)
      const report = JSON.parse(readFileSync(join(out2, readdirSync(out2).find((f) => f.endsWith(".json"))!), "utf8"))
      expect(report.results[0]).toMatchObject({ final_outcome: "working", attempts_total: 1, api_retries: 2 })
    } finally {
      await flaky.close()
    }
  })

  describe("bad input: one line on stderr, exit 2", () => {
    const cases: Array<[string, () => Array<string>, Record<string, string> | undefined, RegExp]> = [
      ["unknown task", () => ["run", "--task", "nope", "--tasks-file", tasks], undefined, /^ERROR: --task: task 'nope' not found in .*`ilo-bench tasks` lists them\)$/],
      ["a mistyped task, with --task repeated", () => ["run", "--task", "sum", "--task", "line", "--tasks-file", tasks], undefined, /^ERROR: --task: task 'line' not found in .*; did you mean 'lines'\?$/],
      ["a mistyped category", () => ["run", "--category", "list"], undefined, /^ERROR: --category: no task of category 'list' in .*; did you mean 'lists'\? \(categories: /],
      ["a mistyped model alias", () => ["run", "--ilo", ilo.bin, "--model", "haikuu", "--tasks-file", tasks], undefined, /^ERROR: --model: unknown model 'haikuu'; did you mean 'haiku'\? \(an alias: both, haiku, sonnet, /],
      ["a value outside a flag's choices names the flag", () => ["run", "--retry-cap", "2", "--cache", "lukewarm"], undefined, /^ERROR: --cache: 'lukewarm' is not one of warm, cold$/],
      ["a mistyped choice gets a suggestion", () => ["run", "--provider=anthropix"], undefined, /^ERROR: --provider: 'anthropix' is not one of anthropic, openai; did you mean 'anthropic'\?$/],
      // Every choice flag, --sandbox too (its refusal named neither the flag nor the value).
      ["a mistyped --sandbox names the flag and suggests", () => ["run", "--sandbox", "bwarp"], undefined, /^ERROR: --sandbox: 'bwarp' is not one of auto, bwrap, none; did you mean 'bwrap'\?$/],
      ["missing tasks file", () => ["run", "--tasks-file", join(dir, "none.json")], undefined, /^ERROR: tasks file .*none\.json: not found$/],
      ["tasks file not JSON", () => ["run", "--tasks-file", writeAndPath("bad.json", "{nope")], undefined, /^ERROR: tasks file .*: not JSON/],
      // The parser quotes the text it choked on, newline and all.
      ["tasks file not JSON, over lines", () => ["run", "--tasks-file", writeAndPath("bad2.json", "not json\nat all")], undefined, /^ERROR: tasks file .*: not JSON .*"not json at all"/],
      ["tasks file with no tasks", () => ["run", "--tasks-file", writeAndPath("empty.json", JSON.stringify({ tasks: [] }))], undefined, /^ERROR: tasks file .*empty\.json: has no tasks$/],
      [
        "task missing a field",
        () => ["run", "--tasks-file", writeAndPath("nofield.json", JSON.stringify({ tasks: [{ id: "a", description: "d" }] }))],
        undefined,
        /^ERROR: tasks file .*: task 'a' \(#1\): field 'expected_output' is missing$/
      ],
      [
        "duplicate ids",
        () => ["run", "--tasks-file", writeAndPath("dup.json", JSON.stringify({ tasks: [TASKS[0], TASKS[0]] }))],
        undefined,
        /^ERROR: tasks file .*: duplicate task id 'sum'$/
      ],
      // Input files are read only when they are regular files of a bounded size: these read without end or waited forever.
      ["tasks file a device", () => ["run", "--tasks-file", "/dev/zero"], undefined, /^ERROR: tasks file \/dev\/zero: is not a regular file/],
      ["tasks file a FIFO", () => ["run", "--tasks-file", fifo()], undefined, /^ERROR: tasks file .*fifo: is not a regular file/],
      [
        "tasks file nested 200,000 deep",
        () => ["run", "--tasks-file", writeAndPath("deep.json", `{"tasks":${"[".repeat(200_000)}${"]".repeat(200_000)}}`)],
        undefined,
        /^ERROR: tasks file .*deep\.json: nests deeper than 64 levels/
      ],
      [
        "a task id that is not a safe file name",
        () => ["run", "--tasks-file", writeAndPath("evil.json", JSON.stringify({ tasks: [{ id: "../../evil", description: "d", expected_output: "1" }] }))],
        undefined,
        /^ERROR: tasks file .*: task '\.\.\/\.\.\/evil' \(#1\): field 'id' must be a safe file name/
      ],
      ["retry cap below 1", () => ["run", "--retry-cap", "0"], undefined, /^ERROR: --retry-cap: must be at least 1, got 0$/],
      ["concurrency below 1", () => ["run", "--concurrency", "0"], undefined, /^ERROR: --concurrency: must be at least 1, got 0$/],
      // A report lays out a column for each attempt and each trial: a million of them ran V8 out of memory.
      ["retry cap above 100", () => ["run", "--retry-cap", "1000000"], undefined, /^ERROR: --retry-cap: must be at most 100, got 1000000$/],
      ["trials above 1000", () => ["run", "--trials", "1000000000"], undefined, /^ERROR: --trials: must be at most 1000, got 1000000000$/],
      ["empty model", () => ["run", "--model", ""], undefined, /^ERROR: --model: must not be empty$/],
      // @effect/cli's own message names no flag ("'abc' is not a integer").
      ["a whole-number flag given text", () => ["run", "--concurrency", "abc"], undefined, /^ERROR: --concurrency: expected a whole number, got 'abc'$/],
      ["a whole number too large to hold", () => ["run", "--concurrency", "99999999999999999999"], undefined, /^ERROR: --concurrency: expected a whole number of at most 9007199254740991, got '99999999999999999999'$/],
      ["a number flag given text, with =", () => ["run", "--retry-cap", "3", "--max-cost=lots"], undefined, /^ERROR: --max-cost: expected a number, got 'lots'$/],
      ["unknown flag", () => ["run", "--bogus"], undefined, /^ERROR: Received unknown argument: '--bogus'$/],
      ["a flag given twice", () => ["run", "--model", "haiku", "--model=sonnet"], undefined, /^ERROR: --model: given more than once; give it once$/],
      ["ilo not runnable", () => ["run", "--ilo", "/nonexistent/ilo", "--tasks-file", tasks], undefined, /^ERROR: ilo binary not found or not runnable: \/nonexistent\/ilo/],
      ["missing API key", () => ["run", "--ilo", ilo.bin, "--tasks-file", tasks], {}, /^ERROR: ANTHROPIC_API_KEY not set$/],
      [
        "missing second-language docs",
        () => ["run", "--ilo", ilo.bin, "--python", "--lang2-docs", join(dir, "nodocs.md"), "--tasks-file", tasks],
        undefined,
        /^ERROR: language docs .*nodocs\.md: not found$/
      ],
    ]
    const fifo = () => {
      const file = join(dir, "fifo")
      if (!existsSync(file)) execFileSync("mkfifo", [file])
      return file
    }
    const writeAndPath = (name: string, text: string) => {
      const file = join(dir, name)
      writeFileSync(file, text)
      return file
    }
    for (const [name, argv, env, message] of cases) {
      it(name, async () => {
        const r = await runCli(argv(), { env: env ?? { ANTHROPIC_API_KEY: KEY } })
        expect(r.code).toBe(2)
        expect(r.stderr.trim()).toMatch(message)
        expect(r.stderr.trim().split("\n")).toHaveLength(1)
      })
    }

  })
})

describe("ilo-bench tasks", () => {
  it("lists the suite", async () => {
    const r = await runCli(["tasks"])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^triangular-numbers +arithmetic-formatting +easy +Compute the triangular/m)
    expect(r.stdout).toMatch(/\n\d+ tasks\n$/)
  })

  it("--check passes on the suite", async () => {
    const r = await runCli(["tasks", "--check", "--ilo", "/nonexistent/ilo"])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^python: (\d+)\/\1 references passed$/m)
    expect(r.stdout).toMatch(/^javascript: (\d+)\/\1 references passed$/m)
    expect(r.stdout).toMatch(/^skipped ilo: \/nonexistent\/ilo --version failed \(.*\); \d+ references not run$/m)
    expect(r.stdout).toMatch(/tasks\.json: ok\n$/)
  })

  it("--check refuses a task id that is not a safe file name, and runs nothing outside solutions/", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ilo-bench-check-"))
    const suite = join(dir, "a", "b")
    mkdirSync(join(suite, "solutions"), { recursive: true })
    const file = tasksFile(suite, [{ id: "../../evil", description: "Print 1.", expected_output: "1" }])
    const marker = join(dir, "ran")
    writeFileSync(join(dir, "evil.py"), `open(${JSON.stringify(marker)}, "w").write("x")\nprint(1)\n`)
    const r = await runCli(["tasks", "--check", "--tasks-file", file])
    expect(r.code).toBe(2)
    expect(r.stdout.trim()).toMatch(/^tasks file .*: task '\.\.\/\.\.\/evil' \(#1\): field 'id' must be a safe file name/)
    expect(existsSync(marker)).toBe(false)
  })

  it("--check prints one line per problem and exits 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ilo-bench-check-"))
    const file = tasksFile(dir, [
      { id: "ok", description: "Print 1.", expected_output: "1" },
      { id: "empty", description: "Print nothing.", expected_output: "" },
      { id: "named", description: "Write a Python program that prints 2.", expected_output: "2" }
    ])
    const { mkdirSync } = await import("node:fs")
    mkdirSync(join(dir, "solutions"))
    writeFileSync(join(dir, "solutions", "ok.py"), "print(2)\n")
    writeFileSync(join(dir, "solutions", "ok.mjs"), "console.log(1)\n")
    const r = await runCli(["tasks", "--check", "--tasks-file", file])
    expect(r.code).toBe(2)
    const lines = r.stdout.trim().split("\n")
    // The problems first, then how each language's references fared.
    expect(lines.slice(0, 3)).toEqual([
      "task 'empty': expected_output is empty",
      "task 'named': description names a language ('python')",
      expect.stringMatching(/solutions\/ok\.py: partial: 2$/)
    ])
    expect(lines.slice(3)).toEqual([
      "python: 0/1 references passed (failed: ok); no reference for 2 task(s): empty, named",
      "javascript: 1/1 references passed; no reference for 2 task(s): empty, named",
      expect.stringMatching(/^skipped ilo: no \.ilo reference solutions in /)
    ])
  })
})

describe("a task that cannot fail", () => {
  it("run refuses an empty expected_output with exit 2, as tasks --check does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ilo-bench-empty-"))
    const file = tasksFile(dir, [
      { id: "ok", description: "Print 1.", expected_output: "1" },
      { id: "blank", description: "Print nothing.", expected_output: " \\n " }
    ])
    const r = await runCli(["run", "--dry-run", "--tasks-file", file])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`ERROR: tasks file ${file}: task 'blank': expected_output is empty, so a program printing nothing would pass (\`ilo-bench tasks --check\` lists every problem)\n`)
    // A run of the other task alone is fine.
    expect((await runCli(["run", "--dry-run", "--tasks-file", file, "--task", "ok"])).code).toBe(0)
  })
})

describe("language-neutral descriptions", () => {
  it("run refuses a description naming a language being run, unless allowed, and records the override", async () => {
    const server = await startFakeAnthropic(() => ({ text: "-- run: main\necho 1" }))
    const ilo = makeStandInIlo()
    const dir = mkdtempSync(join(tmpdir(), "ilo-bench-named-"))
    const file = tasksFile(dir, [{ id: "named", description: "Write an ilo program that prints 1.", expected_output: "1" }])
    const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url }
    try {
      const refused = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--tasks-file", file, "--output-dir", dir], { env })
      expect(refused.code).toBe(2)
      expect(refused.stderr.trim()).toBe(
        "ERROR: task 'named' names a language in its description ('ilo'); reword it, or pass --allow-language-named"
      )
      expect(server.requests).toHaveLength(0)
      const allowed = await runCli(
        ["run", "--ilo", ilo.bin, "--model", "haiku", "--tasks-file", file, "--output-dir", dir, "--allow-language-named", "--context", "core"],
        { env }
      )
      expect(allowed.code).toBe(0)
      const report = JSON.parse(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith(".json") && f !== "tasks.json")!), "utf8"))
      expect(report.config.allow_language_named).toBe(true)
      expect(report.config.context).toEqual({ name: "core", modules: ["ilo-language", "ilo-builtins-core"] })
      expect(report.results[0].context).toBe("core")
      expect(report.skills.map((s: any) => s.module)).toEqual(["ilo-language", "ilo-builtins-core"])
      expect(report.notes.join("\n")).toContain("--allow-language-named: named names 'ilo'")
    } finally {
      await server.close()
    }
  })

  it("an unknown --context is a usage error naming the known ones", async () => {
    const r = await runCli(["run", "--context", "nope", "--ilo", "/bin/true"], { env: { ANTHROPIC_API_KEY: KEY } })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^ERROR: --context: unknown context 'nope' \(known: default, core/)
  })
})

describe("skill documentation with Windows line ends", () => {
  it("is sent with \\n, as the seed read it in text mode", async () => {
    const modules = ["ilo-language", "ilo-builtins-core", "ilo-builtins-text", "ilo-builtins-math", "ilo-builtins-io"]
    const ilo = makeStandInIlo({ skills: Object.fromEntries(modules.map((m) => [m, `# ${m}\r\nline one\r\nline two\rend\r\n`])) })
    const server = await startFakeAnthropic(() => ({ text: "echo 1" }))
    const dir = mkdtempSync(join(tmpdir(), "crlf-skills-"))
    try {
      const tasks = join(dir, "tasks.json")
      writeFileSync(tasks, JSON.stringify({ tasks: [{ id: "one", description: "Print 1.", expected_output: "1" }] }))
      const r = await runCli(["run", "--no-align", "--ilo", ilo.bin, "--model", "haiku", "--tasks-file", tasks, "--output-dir", join(dir, "out")], {
        env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url }
      })
      expect(r.code, r.stderr).toBe(0)
      const sent = lastUserText(server.requests[0]!)
      expect(sent).toContain("# ilo-language\nline one\nline two\nend\n")
      expect(sent).not.toContain("\r")
    } finally {
      await server.close()
    }
  })
})

describe("help", () => {
  it("is plain text when stdout is not a terminal, and lists the model aliases", async () => {
    const r = await runCli(["run", "--help"])
    expect(r.code).toBe(0)
    expect(r.stdout).not.toContain("\x1b[")
    const entries = JSON.parse(readFileSync(new URL("../bench/models.json", import.meta.url), "utf8")).models as Array<{ alias: string; provider: string }>
    const of = (provider: string) => entries.filter((m) => m.provider === provider).map((m) => m.alias)
    const aliases = of("anthropic").filter((a) => a !== "haiku" && a !== "sonnet")
    expect(aliases.length).toBeGreaterThan(0)
    expect(of("openai")).toContain("dsflash")
    const oneLine = r.stdout.replace(/\s+/g, " ")
    expect(oneLine).toContain(`another alias of bench/models.json (${aliases.join(", ")}; with --provider openai: ${of("openai").join(", ")} for DeepSeek)`)
  })

  it("every command's help reads cleanly at 100 columns: a usage line with the program's name, one line per option, no boilerplate", async () => {
    for (const command of [[], ["run"], ["tasks"], ["report"], ["compare"], ["validate"], ["schema"]]) {
      const r = await runCli([...command, "--help"])
      expect(r.code).toBe(0)
      const lines = r.stdout.split("\n")
      for (const line of lines) expect(line.length, `${command.join(" ")}: ${line}`).toBeLessThanOrEqual(100)
      for (const noise of ["A user-defined piece of text", "This setting is optional", "must be repeated", "One of the following", "An integer.", "A true or false value"])
        expect(r.stdout, `${command.join(" ")}: ${noise}`).not.toContain(noise)
      // Every text flag's value is named as the README names it, never the generic VALUE.
      expect(r.stdout, command.join(" ")).not.toMatch(/ --[a-z-]+ VALUE /)
      expect(r.stdout).toContain("Exit codes:\n  0 ")
      expect(r.stdout).toMatch(/\nExamples:\n  (npx )?ilo-bench /)
      if (command.length > 0) expect(lines[0]).toMatch(new RegExp(`^Usage: ilo-bench ${command[0]} \\[options\\]`))
    }
    // validate's exit 1 is its verdict on the numbers, as the README's table says, not only "something broke".
    expect((await runCli(["validate", "--help"])).stdout).toMatch(/\n  1 +validate: numbers that should not be published as they stand/)
    const run = (await runCli(["run", "--help"])).stdout
    expect(run).toMatch(/\n  --retry-cap N +Most attempts \(first \+ repairs\) per run\. Default: 5\.\n/)
    expect(run).toMatch(/\n  --baseline LANG +The language the verdict divides/)
    expect(run).toMatch(/\n  --shard I\/N\|auto +Run only shard I of N/)
    // Every flag the README's run tables document is one run --help lists.
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
    const runSection = readme.slice(readme.indexOf("## `ilo-bench run`"), readme.indexOf("## `ilo-bench tasks`"))
    const firstCells = [...runSection.matchAll(/^\| (`--[^|]*)\|/gm)].map((m) => m[1]!)
    const documented = new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`(--[a-z][a-z0-9-]*)/g)].map((m) => m[1]!)))
    expect(documented.size).toBeGreaterThan(45)
    for (const flag of documented) expect(run, flag).toMatch(new RegExp(`\\n  (--[a-z-]+, )?${flag}[ ,\\n]`))
    // The default --model both includes sonnet 4.5, retired on 2026-11-30: an example that spends names its model,
    // and the resume example gives the flags of the run before it, as a resume must.
    const examples = run.slice(run.indexOf("\nExamples:\n")).split("\n").filter((l) => l.startsWith("  ilo-bench run ") && !l.includes("--dry-run"))
    expect(examples.length).toBeGreaterThan(1)
    for (const example of examples) expect(example).toContain("--model haiku")
    // So do the README's command lines (quick start, job engines' files) that start a benchmark.
    const readmeRuns = [...readFileSync(new URL("../README.md", import.meta.url), "utf8").matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)]
      .flatMap((block) => block[1]!.split("\n"))
      .filter((l) => /ilo-bench run --|"ilo-bench", "run"/.test(l) && !l.includes("--dry-run"))
    expect(readmeRuns.length).toBeGreaterThan(5)
    for (const line of readmeRuns) expect(line, line).toMatch(/--model(", "| )\S/)
    expect(run).toContain("\nEnvironment:\n  ANTHROPIC_API_KEY ")
    expect(run).toContain("OPENAI_API_KEY")
    const root = (await runCli(["--help"])).stdout
    expect(root).toMatch(/\n  run +Run the benchmark/)
    expect(root).toMatch(/\n  compare +Compare two runs/)
    // Every command the tree has is named with what it does.
    const commands = root.slice(root.indexOf("Commands:\n"), root.indexOf("\nOptions:")).split("\n").slice(1)
    for (const name of ["run", "tasks", "report", "compare", "schema", "validate"])
      expect(commands.find((l) => l.startsWith(`  ${name} `)), name).toMatch(new RegExp(`^  ${name} +[A-Z]`))
  })
})
