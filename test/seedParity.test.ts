import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli, type CliResult } from "./support/cli.js"
import { lastUserText, startFakeAnthropic, type FakeServer, type RecordedRequest, type Reply } from "./support/fakeAnthropic.js"
import { makeStandInIlo, type StandInIlo } from "./support/standInIlo.js"

/**
 * Golden test: the seed (test/fixtures/seed/closed-loop-bench.py, run through redirect.py) and
 * ilo-bench, given the same tasks, the same stand-in ilo, the same python3 and a model whose
 * every reply is a function of the request alone, must send the same requests and report the
 * same numbers, run by run and field by field (wall time aside).
 */

const redirectPy = fileURLToPath(new URL("./fixtures/seed/redirect.py", import.meta.url))
const repoSkills = fileURLToPath(new URL("../skills/ilo/", import.meta.url))

// Four behaviours, for ilo and python alike, with retry cap 3.
const TASKS = [
  { id: "hello", description: "[hello] Print hello world.", expected_output: "hello world" },
  { id: "lines", description: "[lines] Print 1, 2 and 3 on three lines.", expected_output: "1\\n2\\n3" },
  { id: "wrong", description: "[wrong] Print the answer.", expected_output: "42" },
  { id: "crash", description: "[crash] Print done.", expected_output: "done" }
]
const RETRY_CAP = 3

// Two modules come from `ilo skill get`, the other three from the repo's skills/ilo files.
const SKILLS = {
  "ilo-language": "# ilo-language (stand-in)\nprefix notation, typed.\n",
  "ilo-builtins-core": "# ilo-builtins-core (stand-in)\nprn x: print x\n"
}

const systemText = (request: RecordedRequest): string => {
  const system = request.body?.system
  return typeof system === "string" ? system : Array.isArray(system) ? system.map((b: any) => b.text ?? "").join("") : ""
}

/** The error the harness sent back, as the repair prompt carries it. */
const errorSent = (user: string) => /\nError \/ actual output:\n([\s\S]*?)\n\nRewrite the program/.exec(user)?.[1] ?? ""

/**
 * The model. Its answer depends only on the request (the language, the task tag, whether it is a
 * repair and the error it carries), never on arrival order, so a sequential and a concurrent
 * harness get the same answers. Programs carry the prompt's length in a comment, so token counts
 * differ from prompt to prompt; usage is the length of the user text and of the reply.
 *   hello: right first time.  lines: fails (exit != 0, message on stderr), fixed when the repair
 *   carries that message.  wrong: no output, then WRONG#1, WRONG#2... (partial to the cap).
 *   crash: always exits non-zero with 1200+ characters on stderr (cut to 1000) and a line on stdout.
 */
const model = (request: RecordedRequest): Reply => {
  const user = lastUserText(request)
  const ilo = systemText(request).startsWith("You are an ilo programming language expert")
  const repair = user.startsWith("The previous")
  const error = repair ? errorSent(user) : ""
  const task = /\[(\w+)\]/.exec(user)?.[1] ?? "unknown"
  const stamp = `prompt ${user.length}${repair ? " repair" : ""}`
  let body: string
  if (ilo) {
    const lines = (...l: Array<string>) => ["-- run: main", `-- ${stamp}`, ...l].join("\n")
    switch (task) {
      case "hello":
        body = lines(`echo "hello world"`)
        break
      case "lines":
        body = error.includes("no such thing") ? lines(`printf '1\\n2\\n3\\n'`) : lines(`echo "no such thing" >&2`, "exit 4")
        break
      case "wrong": {
        const n = Number(/WRONG#(\d+)/.exec(error)?.[1] ?? 0)
        body = repair ? lines(`echo "WRONG#${n + 1}"`) : lines("true")
        break
      }
      default:
        body = lines(`echo "partial stdout"`, `echo "fatal: été" >&2`, `for i in $(seq 1 400); do printf 'é😀x' >&2; done`, "exit 3")
    }
  } else {
    const lines = (...l: Array<string>) => [`# ${stamp}`, ...l].join("\n") + "\n"
    switch (task) {
      case "hello":
        body = lines(`print("hello world")`)
        break
      case "lines":
        body = error.includes("no such thing") ? lines(`print("1\\n2\\n3\\n")`) : lines(`raise SystemExit("no such thing")`)
        break
      case "wrong": {
        const n = Number(/WRONG#(\d+)/.exec(error)?.[1] ?? 0)
        body = repair ? lines(`print("WRONG#${n + 1}  ")`) : lines("pass")
        break
      }
      default:
        body = lines("import sys", `print("partial stdout")`, `sys.stderr.write("fatal: été\\n" + "é😀x" * 400)`, "sys.exit(3)")
    }
  }
  return { text: body, inputTokens: user.length, outputTokens: body.length }
}

interface Report {
  readonly results: ReadonlyArray<Record<string, unknown>>
}

const reportText = (dir: string): string => {
  const files = readdirSync(dir).filter((f) => /^closed-loop-\d{4}-\d{2}-\d{2}\.json$/.test(f))
  expect(files, `one JSON report in ${dir}`).toHaveLength(1)
  return readFileSync(join(dir, files[0]!), "utf8")
}
const readReport = (dir: string): Report => JSON.parse(reportText(dir))

/** How a field's numbers are written: a Python reader loads "1.0" as a float and "1" as an int. */
const written = (text: string, field: string) => [...text.matchAll(new RegExp(`"${field}": (-?[\\d.]+)`, "g"))].map((m) => (m[1]!.includes(".") ? "float" : "int"))

/** What a request asks: the parts both harnesses must send alike, as one comparable string. */
const asked = (request: RecordedRequest) =>
  JSON.stringify({
    model: request.body?.model,
    max_tokens: request.body?.max_tokens,
    system: request.body?.system,
    messages: request.body?.messages
  })

/** Where two texts first differ, with a little context either side. */
const firstDifference = (a: string, b: string) => {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  const around = (t: string) => JSON.stringify(t.slice(Math.max(0, i - 60), i + 60))
  return `at char ${i}: seed …${around(a)}… ilo-bench …${around(b)}…`
}

/**
 * The multiset difference of two lists of requests, each entry described briefly: a request only
 * the seed sent is shown against the closest one only ilo-bench sent (same length of common prefix).
 */
const requestDifferences = (seedSent: ReadonlyArray<string>, benchSent: ReadonlyArray<string>) => {
  const onlyBench = [...benchSent]
  const onlySeed: Array<string> = []
  for (const r of seedSent) {
    const at = onlyBench.indexOf(r)
    if (at >= 0) onlyBench.splice(at, 1)
    else onlySeed.push(r)
  }
  const prefix = (a: string, b: string) => {
    let i = 0
    while (i < a.length && i < b.length && a[i] === b[i]) i++
    return i
  }
  return [
    ...onlySeed.map((r) => {
      const closest = [...onlyBench].sort((x, y) => prefix(r, y) - prefix(r, x))[0]
      return closest === undefined ? `only the seed sent ${r.slice(0, 300)}…` : `differs ${firstDifference(r, closest)}`
    }),
    ...(onlyBench.length > onlySeed.length ? [`ilo-bench sent ${onlyBench.length - onlySeed.length} more request(s)`] : [])
  ]
}

/** The stdout summary from "Summary:" to "N/M runs succeeded.", with each row's time cell blanked. */
const summary = (stdout: string) => {
  const lines = stdout.split("\n")
  const start = lines.indexOf("Summary:")
  const end = lines.findIndex((l) => /^\d+\/\d+ runs succeeded\.$/.test(l))
  expect(start, "a Summary: line").toBeGreaterThanOrEqual(0)
  expect(end, "a runs succeeded line after it").toBeGreaterThan(start)
  return lines.slice(start, end + 1).map((l, i) => (i >= 3 ? l.replace(/ +\d+\.\ds$/, " <time>s") : l))
}

/** Stdout lines that do not depend on time: the header and each run's line without its wall time. */
const progress = (stdout: string) =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith("Closed-loop bench: ") || l.startsWith("  -> outcome="))
    .map((l) => l.replace(/ wall=\d+(?:\.\d+)?s( |$)/, "$1"))

const runSeed = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn("python3", [redirectPy, ...args], {
      // TMPDIR: the seed leaves its programs' files behind; they go with the tests' scratch directory.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), LANG: "C.UTF-8", TMPDIR: tmpdir(), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8")
    child.stderr.setEncoding("utf8")
    child.stdout.on("data", (c) => (stdout += c))
    child.stderr.on("data", (c) => (stderr += c))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

const SEED_FIELDS = [
  "task",
  "language",
  "model",
  "model_id",
  "generation_tokens",
  "input_tokens",
  "repair_tokens_by_turn",
  "attempts_to_success",
  "attempts_total",
  "success_rate",
  "wall_time_s",
  "final_outcome"
]

describe("parity with the seed's dry run", () => {
  it("prints the same task list: descriptions cut at 80 characters, expected outputs as Python's repr", async () => {
    const dir = mkdtempSync(join(tmpdir(), "seed-dry-"))
    try {
      const tasks = join(dir, "tasks.json")
      const tricky = [
        { id: "quotes", description: "Print it's.", expected_output: "it's" },
        { id: "both", description: "Print both quotes.", expected_output: `say "hi" it's` },
        { id: "escapes", description: "Print escapes.", expected_output: "a\\b\tc\u0001 é ü 😀 \u00a0 end" },
        { id: "long", description: "😀".repeat(45) + " and more words after eighty characters", expected_output: "55" }
      ]
      writeFileSync(tasks, JSON.stringify({ tasks: tricky }))
      const [seed, bench] = await Promise.all([
        runSeed(["--dry-run"], { SEED_BASE_URL: "http://127.0.0.1:9", SEED_TASKS_FILE: tasks, SEED_SKILLS_DIR: repoSkills }),
        runCli(["run", "--dry-run", "--tasks-file", tasks])
      ])
      expect(seed.code, seed.stderr).toBe(0)
      // The seed's lines unchanged; the plan (languages, runs, cost bound) follows them.
      expect(bench.stdout.slice(0, seed.stdout.length)).toBe(seed.stdout)
      expect(bench.stdout.slice(seed.stdout.length)).toMatch(/^\nPlan:\n  Languages:\n/)
      expect(seed.stdout).toContain(`expected: "it's"`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

describe("parity with the seed (closed-loop-bench.py) on the same model, tasks and programs", () => {
  let seedServer: FakeServer
  let benchServer: FakeServer
  let ilo: StandInIlo
  let seed: CliResult
  let bench: CliResult
  let seedOut: string
  let benchOut: string
  let dir: string

  beforeAll(async () => {
    seedServer = await startFakeAnthropic(model)
    benchServer = await startFakeAnthropic(model)
    ilo = makeStandInIlo({ skills: SKILLS })
    dir = mkdtempSync(join(tmpdir(), "seed-parity-"))
    const tasks = join(dir, "tasks.json")
    writeFileSync(tasks, JSON.stringify({ tasks: TASKS }, null, 2))
    seedOut = mkdtempSync(join(dir, "seed-"))
    benchOut = mkdtempSync(join(dir, "bench-"))
    ;[seed, bench] = await Promise.all([
      runSeed(
        ["--ilo", ilo.bin, "--lang2-name", "python", "--lang2-bin", "python3", "--lang2-ext", ".py",
          "--model", "haiku", "--retry-cap", String(RETRY_CAP), "--output-dir", seedOut],
        { SEED_BASE_URL: seedServer.url, SEED_TASKS_FILE: tasks, SEED_SKILLS_DIR: repoSkills, ANTHROPIC_API_KEY: "sk-test" }
      ),
      runCli(
        ["run", "--no-align", "--ilo", ilo.bin, "--python", "--model", "haiku", "--retry-cap", String(RETRY_CAP),
          "--tasks-file", tasks, "--output-dir", benchOut],
        { env: { ANTHROPIC_API_KEY: "sk-test", ANTHROPIC_BASE_URL: benchServer.url } }
      )
    ])
  }, 120_000)

  afterAll(async () => {
    await seedServer?.close()
    await benchServer?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
    if (ilo) rmSync(ilo.dir, { recursive: true, force: true })
  })

  it("both harnesses finish cleanly and the seed ran the planned behaviours", () => {
    expect(seed.stderr).not.toContain("API error")
    expect(seed.code, seed.stderr).toBe(0)
    expect(bench.code, bench.stderr).toBe(0)
    const results = readReport(seedOut).results
    expect(results.map((r) => `${r.task}/${r.language}: ${r.final_outcome} after ${r.attempts_total}`)).toEqual([
      "hello/ilo: working after 1",
      "hello/python: working after 1",
      "lines/ilo: working after 2",
      "lines/python: working after 2",
      "wrong/ilo: partial after 3",
      "wrong/python: partial after 3",
      "crash/ilo: failed after 3",
      "crash/python: failed after 3"
    ])
    for (const r of results) expect(Object.keys(r).sort()).toEqual([...SEED_FIELDS].sort())
  })

  it("every run's seed fields are equal, wall time aside", () => {
    const expected = readReport(seedOut).results
    const actual = readReport(benchOut).results
    expect(actual).toHaveLength(expected.length)
    expected.forEach((want, i) => {
      const got = actual[i]!
      for (const field of SEED_FIELDS) {
        expect(got, `run ${i + 1} has ${field}`).toHaveProperty(field)
        if (field === "wall_time_s") expect(typeof got[field]).toBe("number")
        else expect(got[field], `run ${i + 1} (${want.task}/${want.language}/${want.model}): ${field}`).toEqual(want[field])
      }
    })
  })

  it("numbers the seed wrote as floats are floats in the JSON, for a Python reader", () => {
    for (const field of ["success_rate", "wall_time_s"]) {
      expect(written(reportText(benchOut), field), field).toEqual(written(reportText(seedOut), field))
      expect(written(reportText(seedOut), field).every((t) => t === "float")).toBe(true)
    }
  })

  it("the requests are the same, byte for byte, repair prompts and the errors they carry included", () => {
    expect(seedServer.requests).toHaveLength(2 * (1 + 2 + 3 + 3))
    expect(requestDifferences(seedServer.requests.map(asked), benchServer.requests.map(asked))).toEqual([])
    expect(benchServer.requests).toHaveLength(seedServer.requests.length)
    // The comparison covered the interesting prompts, not just first attempts.
    const users = seedServer.requests.map(lastUserText)
    expect(users.some((u) => u.startsWith("The previous ilo program") && u.includes("no such thing\n{\"error\":\"runtime\",\"code\":4}"))).toBe(true)
    expect(users.some((u) => u.startsWith("The previous python program") && errorSent(u) === "(no output)")).toBe(true)
    expect(users.some((u) => errorSent(u) === "WRONG#1")).toBe(true)
    expect(users.filter((u) => errorSent(u).startsWith("fatal: été")).map((u) => Array.from(errorSent(u)).length)).toEqual([1000, 1000, 1000, 1000])
  })

  it("the stdout header, run lines (named at the end), summary table (time aside) and success count are the same", () => {
    // ilo-bench's run lines are the seed's, with the run named at the end (the seed's name none).
    const runs = readReport(seedOut).results
    expect(progress(bench.stdout)).toEqual(
      progress(seed.stdout).map((l, i) => (i === 0 ? l : `${l} task=${runs[i - 1]!.task} lang=${runs[i - 1]!.language} model=${runs[i - 1]!.model}`))
    )
    expect(progress(seed.stdout)).toHaveLength(1 + TASKS.length * 2)
    expect(summary(bench.stdout)).toEqual(summary(seed.stdout))
    expect(summary(seed.stdout).at(-1)).toBe("4/8 runs succeeded.")
  })
})
