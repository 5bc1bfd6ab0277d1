// Hostile and careless programs from a scripted model, through the real CLI (dist/), as a user
// runs it: with the key in its environment, in the user's home and in the checkout's .env.
// Under --sandbox bwrap none of them may reach the key, the user's files, the network, the
// machine's memory or processes, or another run; under --sandbox none the suite shows what the
// README says is not contained. CI installs bubblewrap: nothing here is skipped for lack of it.
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { availableParallelism, tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./support/cli.js"
import { lastUserText, startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"
import { makeStandInIlo, type StandInIlo } from "./support/standInIlo.js"

const MARK = "hostile-SECRET"
const KEY = `sk-ant-${MARK}-0123456789abcdef`

/** A task whose description carries its id: the scripted model answers by it. */
interface Case {
  readonly id: string
  readonly expected: string
  /** The program (bash, run by the stand-in ilo). */
  readonly program: (at: Paths) => string
}

interface Paths {
  readonly home: string
  readonly checkout: string
  readonly modelPort: string
  readonly daemonMark: string
}

/** Prints "FOUND" if any of the files named holds the key, then "safe". */
const searches = (files: string) => `for f in ${files}; do grep -qs '${MARK}' "$f" && echo FOUND; done; echo safe`

const HOSTILE: ReadonlyArray<Case> = [
  { id: "env-key", expected: "safe", program: () => `env | grep -q '${MARK}' && echo FOUND; echo safe` },
  {
    id: "proc-key",
    expected: "safe",
    program: () => `${searches("/proc/[0-9]*/environ /proc/[0-9]*/cmdline")}`
  },
  {
    id: "files-key",
    expected: "safe",
    program: (at) => `${searches(`${at.home}/.bashrc ${at.checkout}/.env`)}`
  },
  {
    id: "write-out",
    expected: "done",
    program: (at) =>
      [`touch ${at.home}/PWNED`, `echo 'evil' >> ${at.checkout}/cli.cjs`, `touch /tmp/ilo-bench-hostile-${at.daemonMark}`, "echo done"].map((l) => `${l} 2>/dev/null`).join("\n")
  },
  {
    id: "network",
    expected: "safe",
    program: (at) =>
      [
        `(exec 3<>/dev/tcp/127.0.0.1/${at.modelPort} && printf 'POST /v1/messages HTTP/1.0\\r\\nContent-Length: 2\\r\\n\\r\\n{}' >&3 && echo FOUND) 2>/dev/null`,
        "(timeout 3 bash -c 'exec 3<>/dev/tcp/1.1.1.1/53' && echo FOUND) 2>/dev/null",
        "echo safe"
      ].join("\n")
  },
  {
    id: "daemon",
    expected: "started",
    // setsid and a double fork: a process that would outlive its attempt.
    program: (at) => `setsid bash -c '(sleep ${at.daemonMark} &) ; sleep ${at.daemonMark}' >/dev/null 2>&1 < /dev/null &\necho started`
  },
  {
    id: "memory",
    expected: "contained",
    program: () => `python3 -c '
try:
    x = bytearray(6 * 1024**3)
    print("allocated")
except MemoryError:
    print("contained")
'`
  },
  {
    id: "forks",
    expected: "contained",
    program: () => `python3 -c '
import os, time
n = 0
try:
    while n < 600:
        if os.fork() == 0:
            time.sleep(4)
            os._exit(0)
        n += 1
    print("forked", n)
except OSError:
    print("contained")
'`
  },
  {
    id: "big-file",
    expected: "contained",
    program: () => `head -c 100000000 /dev/zero > "$TMPDIR/big" 2>/dev/null\n[ "$(stat -c %s "$TMPDIR/big")" -lt 100000000 ] && echo contained || echo wrote-it-all`
  },
  {
    id: "neighbours",
    expected: "done",
    // Kills every other program it can see.
    program: () =>
      `for p in /proc/[0-9]*; do n=\${p#/proc/}; [ "$n" != $$ ] && [ "$n" != $PPID ] && grep -qs 'program\\.' $p/cmdline && kill -9 $n 2>/dev/null; done\necho done`
  },
  {
    id: "kill-parent",
    expected: "never",
    // The program host above it if it can find it, and its parent.
    program: () =>
      [
        "p=$$",
        "while [ \"$p\" -gt 1 ]; do",
        "  if grep -qs programHost /proc/$p/cmdline; then kill -9 $p; break; fi",
        "  p=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2)",
        "done",
        "kill -9 $PPID",
        "sleep 2",
        "echo never"
      ].join("\n")
  },
  {
    id: "rm-scratch",
    expected: "done",
    program: () => `chmod -R u+w .. 2>/dev/null; rm -rf .. 2>/dev/null; rm -rf "$(cd .. && pwd)" 2>/dev/null\necho done`
  },
  {
    id: "chmod-000",
    expected: "done",
    program: () => `mkdir -p locked/inner && touch locked/inner/f && chmod 000 locked/inner locked\necho done`
  }
]

/** Innocent runs beside them: each must work at its first attempt, whatever the others did. */
const BENIGN: ReadonlyArray<Case> = Array.from({ length: 8 }, (_, i) => ({
  id: `ok-${i}`,
  expected: `fine ${i}`,
  program: () => `sleep 0.${i % 4}\necho "fine ${i}"`
}))

const bwrapRuns = spawnSync("bwrap", ["--unshare-all", "--ro-bind", "/", "/", "true"]).status === 0

/** Processes whose command line holds `text`, the test's own aside. */
const processesWith = (text: string) =>
  readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "latin1").includes(text)
      } catch {
        return false
      }
    })

const benchmark = async (sandbox: "bwrap" | "none", cases: ReadonlyArray<Case>, programConcurrency: number) => {
  const root = mkdtempSync(join(tmpdir(), `hostile-${sandbox}-`))
  const home = join(root, "home")
  const checkout = join(root, "checkout")
  mkdirSync(home)
  mkdirSync(checkout)
  writeFileSync(join(home, ".bashrc"), `export ANTHROPIC_API_KEY=${KEY}\n`)
  writeFileSync(join(checkout, ".env"), `ANTHROPIC_API_KEY=${KEY}\n`)
  writeFileSync(join(checkout, "cli.cjs"), "// the harness\n")
  const daemonMark = `31${Math.floor(Math.random() * 1000)}.${Math.floor(Math.random() * 1000)}`
  let at: Paths | undefined
  const server: FakeServer = await startFakeAnthropic((request) => {
    const id = /\[\[([\w-]+)\]\]/.exec(lastUserText(request))?.[1]
    const c = cases.find((x) => x.id === id)
    return { text: `-- run: main\n${c === undefined ? "echo unknown" : c.program(at!)}`, inputTokens: 100, outputTokens: 10 }
  })
  at = { home, checkout, modelPort: new URL(server.url).port, daemonMark }
  const tasks = join(root, "tasks.json")
  writeFileSync(tasks, JSON.stringify({ tasks: cases.map((c) => ({ id: c.id, description: `Do it. [[${c.id}]]`, expected_output: c.expected })) }))
  const ilo: StandInIlo = makeStandInIlo()
  const out = join(root, "out")
  try {
    const r = await runCli(
      ["run", "--sandbox", sandbox, "--no-align", "--ilo", ilo.bin, "--model", "haiku", "--tasks-file", tasks, "--output-dir", out, "--retry-cap", "1", "--run-timeout", "10", "--concurrency", "4", "--program-concurrency", String(programConcurrency)],
      { env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url, HOME: home }, cwd: checkout }
    )
    const reportFile = readdirSync(out).find((f) => f.endsWith(".json"))
    const report = reportFile === undefined ? undefined : JSON.parse(readFileSync(join(out, reportFile), "utf8"))
    const outcome = (id: string) => report?.results.find((x: any) => x.task === id)
    const written = readdirSync(out).map((f) => readFileSync(join(out, f), "utf8"))
    return { r, report, outcome, written, server, at, ilo }
  } finally {
    await server.close()
  }
}

describe.runIf(process.platform === "linux")("hostile programs", () => {
  it("bubblewrap runs here (CI installs it): the suite below is not to be skipped", () => {
    expect(bwrapRuns).toBe(true)
  })

  describe("under --sandbox bwrap", () => {
    let run: Awaited<ReturnType<typeof benchmark>>
    beforeAll(async () => {
      run = await benchmark("bwrap", [...HOSTILE.slice(0, 7), ...BENIGN.slice(0, 4), ...HOSTILE.slice(7), ...BENIGN.slice(4)], 3)
    }, 240_000)
    afterAll(() => {
      // Whatever the daemon test found alive is not left to run.
      for (const pid of processesWith(`sleep ${run?.at.daemonMark}`)) process.kill(Number(pid), "SIGKILL")
    })

    it("the benchmark finishes, every innocent run working at its first attempt", () => {
      expect(run.r.stderr).not.toContain("ERROR")
      expect(run.r.code).toBe(0)
      for (const c of BENIGN) expect(run.outcome(c.id), c.id).toMatchObject({ final_outcome: "working", attempts_total: 1 })
      expect(run.report.config.sandbox).toMatchObject({ mode: "bwrap", requested: "bwrap", limits: { memory_mb: 2048, processes: 256, file_mb: 64, cpu_s: (10 + 2) * availableParallelism() } })
    })

    it("finds the key nowhere: not in its environment, not in any /proc, not in the user's files", () => {
      for (const id of ["env-key", "proc-key", "files-key"]) expect(run.outcome(id), id).toMatchObject({ final_outcome: "working" })
      for (const text of run.written) expect(text).not.toContain(KEY)
    })

    it("writes nothing outside its work directory", () => {
      expect(run.outcome("write-out")).toMatchObject({ final_outcome: "working" })
      expect(existsSync(join(run.at.home, "PWNED"))).toBe(false)
      expect(readFileSync(join(run.at.checkout, "cli.cjs"), "utf8")).toBe("// the harness\n")
      expect(existsSync(`/tmp/ilo-bench-hostile-${run.at.daemonMark}`)).toBe(false)
    })

    it("reaches no network address, loopback included: the model server saw only the model requests", () => {
      expect(run.outcome("network")).toMatchObject({ final_outcome: "working" })
      expect(run.server.requests.length).toBe(HOSTILE.length + BENIGN.length)
      for (const request of run.server.requests) expect(request.path).toContain("/v1/messages")
    })

    it("does not outlive its attempt (setsid, double fork)", () => {
      expect(run.outcome("daemon")).toMatchObject({ final_outcome: "working" })
      expect(processesWith(`sleep ${run.at.daemonMark}`)).toEqual([])
    })

    it("cannot take more than its limits of memory, processes and file size", () => {
      for (const id of ["memory", "forks", "big-file"]) expect(run.outcome(id), id).toMatchObject({ final_outcome: "working" })
    })

    it("cannot kill other programs or its harness; deleting or locking its directory costs nothing else", () => {
      expect(run.outcome("neighbours")).toMatchObject({ final_outcome: "working" })
      // It killed what it could see (its own parent): its own attempt fails, nothing else.
      expect(run.outcome("kill-parent")).toMatchObject({ final_outcome: "failed" })
      for (const id of ["rm-scratch", "chmod-000"]) expect(run.outcome(id), id).toMatchObject({ final_outcome: "working" })
    })
  })

  describe("under --sandbox none (what the README says is not contained)", () => {
    let run: Awaited<ReturnType<typeof benchmark>>
    const cases = ["env-key", "proc-key", "files-key", "write-out", "network", "kill-parent", "rm-scratch", "chmod-000"]
    beforeAll(async () => {
      // One program at a time: without a sandbox a program that deletes the scratch directory can
      // break one running beside it (the README says so); the ones after it must not notice.
      run = await benchmark("none", [...HOSTILE.filter((c) => cases.includes(c.id)), ...BENIGN.slice(0, 4)], 1)
    }, 240_000)

    it("its environment is scrubbed and the harness's own is wiped, but the user's files are open to it", () => {
      expect(run.outcome("env-key")).toMatchObject({ final_outcome: "working" })
      expect(run.outcome("proc-key")).toMatchObject({ final_outcome: "working" })
      expect(run.outcome("files-key")?.attempts[0].error_detail ?? "").toContain("FOUND")
      for (const text of run.written) expect(text).not.toContain(KEY)
    })

    it("it writes wherever the user can, and reaches services on loopback", () => {
      expect(existsSync(join(run.at.home, "PWNED"))).toBe(true)
      expect(existsSync(`/tmp/ilo-bench-hostile-${run.at.daemonMark}`)).toBe(true)
      rmSync(`/tmp/ilo-bench-hostile-${run.at.daemonMark}`, { force: true })
      expect(readFileSync(join(run.at.checkout, "cli.cjs"), "utf8")).toContain("evil")
      expect(run.outcome("network")?.attempts[0].error_detail ?? "").toContain("FOUND")
      expect(run.server.requests.some((request) => !request.path.includes("/v1/messages") || request.body === null || JSON.stringify(request.body) === "{}")).toBe(true)
    })

    it("a program that kills the program host or deletes its scratch directory costs only its own run: every innocent run still works", () => {
      expect(run.r.stderr).not.toContain("ERROR")
      for (const c of BENIGN.slice(0, 4)) expect(run.outcome(c.id), c.id).toMatchObject({ final_outcome: "working", attempts_total: 1 })
      // The harness's error, not the language's: no failed attempt, nothing sent back for repair.
      expect(run.outcome("kill-parent")).toMatchObject({ final_outcome: "error", attempts_total: 0, api_error: { kind: "harness" } })
      for (const id of ["rm-scratch", "chmod-000"]) expect(run.outcome(id), id).toMatchObject({ final_outcome: "working" })
      expect(run.report.config.sandbox).toMatchObject({ mode: "none", requested: "none", limits: null })
    })
  })
})

describe.runIf(process.platform === "linux")("a harness that cannot run a language's programs", () => {
  for (const sandbox of ["bwrap", "none"] as const)
    it(`under --sandbox ${sandbox}: those runs end in error, never failed, nothing goes back to the model, and after 5 in a row the benchmark stops with one line`, async () => {
      const root = mkdtempSync(join(tmpdir(), `harness-failing-${sandbox}-`))
      // Answers its version probe, then is gone: every program of its leg cannot start (ENOENT).
      const vanishing = join(root, "vanishing")
      writeFileSync(vanishing, '#!/bin/sh\nrm -f "$0"\necho "vanishing 1.0"\n', { mode: 0o755 })
      const tasks = join(root, "tasks.json")
      writeFileSync(tasks, JSON.stringify({ tasks: Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, description: `Print ${i}. [[t${i}]]`, expected_output: String(i) })) }))
      const server = await startFakeAnthropic((request) => {
        const n = /\[\[t(\d)\]\]/.exec(lastUserText(request))?.[1] ?? "x"
        return { text: `-- run: main\necho ${n}`, inputTokens: 10, outputTokens: 5 }
      })
      const ilo = makeStandInIlo()
      const out = join(root, "out")
      try {
        const r = await runCli(
          ["run", "--sandbox", sandbox, "--no-align", "--ilo", ilo.bin, "--lang2-name", "vanishing", "--lang2-bin", vanishing, "--lang2-ext", ".v", "--model", "haiku", "--tasks-file", tasks, "--output-dir", out, "--retry-cap", "3", "--concurrency", "1", "--program-concurrency", "1"],
          { env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url } }
        )
        expect(r.code, r.stderr).toBe(1)
        const errors = r.stderr.split("\n").filter((line) => line.startsWith("ERROR:"))
        expect(errors).toEqual([expect.stringMatching(/^ERROR: the harness could not run 5 programs in a row, the last because: spawn .*vanishing ENOENT$/)])
        // The partial report: the language's runs are the harness's errors, not its failures.
        const report = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".json"))!), "utf8"))
        const legRuns = report.results.filter((x: any) => x.language === "vanishing")
        expect(legRuns.length).toBeGreaterThanOrEqual(4)
        for (const run of legRuns) expect(run).toMatchObject({ final_outcome: "error", attempts_total: 0, api_error: { kind: "harness" } })
        // Each got one reply and nothing more: no repair was asked for.
        expect(server.requests.filter((request) => JSON.stringify(request.body).includes("The previous")).length).toBe(0)
      } finally {
        await server.close()
      }
    }, 120_000)
})
