import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./support/cli.js"
import { startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"
import { makeStandInIlo, type StandInIlo } from "./support/standInIlo.js"

const KEY = "sk-ant-test-compile-cache-secret-42"

describe("the command's compile cache (built CLI)", () => {
  let server: FakeServer
  let ilo: StandInIlo
  beforeAll(async () => {
    server = await startFakeAnthropic(() => ({ text: "-- run: main\necho 55", inputTokens: 100, outputTokens: 5 }))
    ilo = makeStandInIlo()
  })
  afterAll(() => server.close())

  const cacheDir = () => mkdtempSync(join(tmpdir(), "ilo-bench-compile-cache-"))
  const files = (dir: string) => readdirSync(dir).sort()

  it("a first start writes it, the next uses it, and a broken one is replaced without changing what the CLI does", async () => {
    const dir = cacheDir()
    const env = { ILO_BENCH_COMPILE_CACHE: dir }
    const first = await runCli(["--help"], { env })
    expect(first.code).toBe(0)
    expect(files(dir)).toEqual([expect.stringMatching(/^[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+-main\.bin$/)])
    const file = join(dir, files(dir)[0]!)
    const written = statSync(file).mtimeMs

    const second = await runCli(["--help"], { env })
    expect(second.stdout).toBe(first.stdout)
    // V8 took it, so nothing was written again.
    expect(statSync(file).mtimeMs).toBe(written)

    writeFileSync(file, "not a V8 code cache")
    const third = await runCli(["--help"], { env })
    expect(third.code).toBe(0)
    expect(third.stdout).toBe(first.stdout)
    expect(readFileSync(file).length).toBeGreaterThan(100_000)
    expect(files(dir)).toHaveLength(1)
  })

  it("each command has its own; a start that fails writes none; \"off\" writes nothing; another build's go", async () => {
    const dir = cacheDir()
    const otherBuild = "0123456789abcdef-v20.0.0-x64-main.bin"
    writeFileSync(join(dir, otherBuild), "an older build's cache")
    writeFileSync(join(dir, "notes.txt"), "not ours")
    const bad = await runCli(["run", "--no-such-flag"], { env: { ILO_BENCH_COMPILE_CACHE: dir } })
    expect(bad.code).toBe(2)
    expect(files(dir)).toEqual([otherBuild, "notes.txt"])
    const tasks = join(dir, "..", `${dir.split("/").pop()}-tasks.json`)
    writeFileSync(tasks, JSON.stringify({ tasks: [{ id: "t", description: "Print 55.", expected_output: "55" }] }))
    expect((await runCli(["run", "--dry-run", "--tasks-file", tasks], { env: { ILO_BENCH_COMPILE_CACHE: dir } })).code).toBe(0)
    expect(files(dir)).toEqual([expect.stringMatching(/-run-dry\.bin$/), "notes.txt"])

    const off = cacheDir()
    expect((await runCli(["--help"], { env: { ILO_BENCH_COMPILE_CACHE: "off" } })).code).toBe(0)
    expect((await runCli(["--version"], { env: { ILO_BENCH_COMPILE_CACHE: off } })).code).toBe(0)
    expect(files(off)).toHaveLength(1)
  })

  it("holds compiled code only: no key, task or reply from the run that wrote it", async () => {
    const dir = cacheDir()
    const out = mkdtempSync(join(tmpdir(), "ilo-bench-compile-cache-out-"))
    const tasks = join(out, "tasks.json")
    writeFileSync(tasks, JSON.stringify({ tasks: [{ id: "cache-task-xyzzy", description: "Print 55.", expected_output: "55" }] }))
    const r = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--tasks-file", tasks, "--output-dir", out], {
      env: { ILO_BENCH_COMPILE_CACHE: dir, ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url }
    })
    expect(r.stderr).not.toContain("ERROR")
    expect(r.code).toBe(0)
    expect(files(dir)).toEqual([expect.stringMatching(/-run\.bin$/)])
    const cache = readFileSync(join(dir, files(dir)[0]!)).toString("latin1")
    // The bundle's own text is there (the prompt the run compiled), so the search below reads the right bytes.
    expect(cache).toContain("You are an ilo programming language expert.")
    expect(cache).not.toContain(KEY)
    expect(cache).not.toContain("cache-task-xyzzy")
    expect(cache).not.toContain("Print 55.")

    // A second run takes it: a V8 flag set after the bundle was compiled once made every run's
    // cache a miss, rewritten at each exit.
    const written = statSync(join(dir, files(dir)[0]!)).mtimeMs
    const again = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--tasks-file", tasks, "--output-dir", out], {
      env: { ILO_BENCH_COMPILE_CACHE: dir, ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url }
    })
    expect(again.code).toBe(0)
    expect(statSync(join(dir, files(dir)[0]!)).mtimeMs).toBe(written)
  })
})
