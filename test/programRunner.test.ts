import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it, layer } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer } from "effect"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { join, relative as relativePath } from "node:path"
import { availableParallelism, tmpdir } from "node:os"
import { spawn, spawnSync } from "node:child_process"
import { decodeOutcome, encodeRun, onLines } from "../src/services/hostProtocol.js"
import { bwrapArgs } from "../src/services/programProcess.js"
import {
  hostCommand,
  OUTPUT_CAP_BYTES,
  PROGRAM_HOST,
  chooseSandbox,
  DEFAULT_LIMITS,
  forBenchmark,
  ProgramRunner,
  programRunnerOn
} from "../src/services/ProgramRunner.js"

const hostFile = PROGRAM_HOST
const ProgramRunnerLive = programRunnerOn(hostFile)
const LiveRunner = Layer.merge(ProgramRunnerLive, NodeContext.layer)
const python = (source: string, timeout = Duration.seconds(20)) =>
  Effect.flatMap(ProgramRunner, (r) => r.run({ source, extension: ".py", command: ["python3", "{file}"] }, timeout))
const node = (source: string, timeout = Duration.seconds(20)) =>
  Effect.flatMap(ProgramRunner, (r) => r.run({ source, extension: ".mjs", command: ["node", "{file}"] }, timeout))

/** Running, as opposed to gone or a zombie waiting for a parent that may never reap it. */
const isAlive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return !/^\d+ \(.*\) Z/.test(stat)
  } catch {
    return false
  }
}

layer(LiveRunner, { excludeTestServices: true })("ProgramRunner (live, real processes)", (it) => {
    it.effect("captures stdout, stderr and the exit code of a python program", () =>
      Effect.gen(function* () {
        const ok = yield* python('import sys\nprint("hello")\nprint("oops", file=sys.stderr)\n')
        expect(ok).toMatchObject({ stdout: "hello\n", stderr: "oops\n", exitCode: 0, timedOut: false })
        const bad = yield* python("raise SystemExit(3)\n")
        expect(bad.exitCode).toBe(3)
        const err = yield* node("throw new Error('boom')\n")
        expect(err.exitCode).toBe(1)
        expect(err.stderr).toContain("boom")
      }))

    it.effect("a timeout kills the whole process group, grandchildren included", () =>
      Effect.gen(function* () {
        // The program starts a grandchild that would outlive it, reports its pid, then hangs.
        const source = [
          "import subprocess, sys, time",
          "p = subprocess.Popen(['sleep', '300'])",
          "print(p.pid, flush=True)",
          "time.sleep(300)"
        ].join("\n")
        const started = Date.now()
        const result = yield* python(source, Duration.millis(1500))
        expect(result.timedOut).toBe(true)
        expect(result.exitCode).toBeNull()
        expect(Date.now() - started).toBeLessThan(10_000)
        const grandchild = Number(result.stdout.trim())
        expect(grandchild).toBeGreaterThan(0)
        yield* Effect.sleep(Duration.millis(200))
        expect(isAlive(grandchild)).toBe(false)
      }))

    it.effect("a grandchild left behind by a program that exits is killed too", () =>
      Effect.gen(function* () {
        const result = yield* python(
          "import subprocess\np = subprocess.Popen(['sleep', '300'])\nprint(p.pid)\n",
          Duration.seconds(10)
        )
        expect(result.exitCode).toBe(0)
        yield* Effect.sleep(Duration.millis(200))
        expect(isAlive(Number(result.stdout.trim()))).toBe(false)
      }))

    it.effect("a process left in a session of its own holds up neither the run nor its timeout, and dies when the host exits", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        // It holds the program's stdout and stderr open; the group kill cannot reach it.
        const source = "import subprocess\np = subprocess.Popen(['sleep', '300'], start_new_session=True)\nprint(p.pid, flush=True)\n"
        const started = Date.now()
        const result = yield* python(source, Duration.seconds(3))
        expect(Date.now() - started).toBeLessThan(2500)
        expect(result).toMatchObject({ exitCode: 0, timedOut: false })
        const daemon = Number(result.stdout.trim())
        expect(isAlive(daemon)).toBe(true)
        yield* runner.release
        for (let i = 0; i < 250 && isAlive(daemon); i++) yield* Effect.sleep(Duration.millis(20))
        expect(isAlive(daemon)).toBe(false)
      }))

    it.effect("a process left in a session of its own dies too when a later program kills the host", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const source = "import subprocess\np = subprocess.Popen(['sleep', '300'], start_new_session=True)\nprint(p.pid, flush=True)\n"
        const daemon = Number((yield* python(source, Duration.seconds(3))).stdout.trim())
        expect(isAlive(daemon)).toBe(true)
        // The host that started it is killed: it cannot sweep, the harness does.
        yield* Effect.flip(runner.run({ source: "kill -9 $PPID\nsleep 1\n", extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10)))
        for (let i = 0; i < 250 && isAlive(daemon); i++) yield* Effect.sleep(Duration.millis(20))
        expect(isAlive(daemon)).toBe(false)
      }))

    it.effect("output is capped at 1 MiB per stream and the program still ends", () =>
      Effect.gen(function* () {
        const result = yield* node("const line = 'x'.repeat(1023) + '\\n'\nfor (let i = 0; i < 4096; i++) process.stdout.write(line)\n")
        expect(result.exitCode).toBe(0)
        expect(Buffer.byteLength(result.stdout)).toBe(OUTPUT_CAP_BYTES)
        expect(result.outputTruncated).toBe(true)
      }))

    it.effect("the program sees a scrubbed environment: no API key, HOME is its own temp dir", () =>
      Effect.gen(function* () {
        process.env.ANTHROPIC_API_KEY = "sk-secret-should-not-leak"
        process.env.OPENAI_API_KEY = "sk-other"
        // node, because the python3 here may be a shim that adds variables of its own
        const result = yield* node("console.log(JSON.stringify(process.env))\nconsole.log(process.cwd())\n").pipe(
          Effect.ensuring(
            Effect.sync(() => {
              delete process.env.ANTHROPIC_API_KEY
              delete process.env.OPENAI_API_KEY
            })
          )
        )
        const [envLine, cwd] = result.stdout.trim().split("\n")
        const env = JSON.parse(envLine!) as Record<string, string>
        expect(result.stdout).not.toContain("sk-")
        expect(Object.keys(env).sort()).toEqual(["HOME", "ILO_BENCH_HOST", "LANG", "PATH", "TMPDIR"])
        expect(env.HOME).toBe(cwd)
        expect(env.TMPDIR).toBe(cwd)
      }))

    // Threads spinning on every core: the program's CPU time grows faster than the wall clock.
    for (const mode of ["bwrap", "none"] as const)
      it.effect.runIf(process.platform === "linux")(`a multi-threaded program that spins past its time limit ends as a timeout under --sandbox ${mode}`, () =>
        Effect.gen(function* () {
          const runner = forBenchmark(yield* ProgramRunner, yield* chooseSandbox(mode), [["node"]])
          const source = [
            'import { Worker } from "node:worker_threads"',
            'import { availableParallelism } from "node:os"',
            "for (let i = 0; i < availableParallelism() + 1; i++) new Worker('for (;;) {}', { eval: true })",
            'console.log("spinning")',
            "for (;;) {}"
          ].join("\n")
          const result = yield* runner.run({ source, extension: ".mjs", command: ["node", "{file}"] }, Duration.millis(2000))
          expect(result).toMatchObject({ stdout: "spinning\n", timedOut: true, exitCode: null })
        }), 30_000)

    it.effect("the temp directory is removed afterwards, even after a timeout", () =>
      Effect.gen(function* () {
        const a = yield* python("import os\nprint(os.getcwd())\n")
        const b = yield* python("import os, time\nprint(os.getcwd(), flush=True)\ntime.sleep(60)\n", Duration.millis(800))
        for (const dir of [a.stdout.trim(), b.stdout.trim()]) {
          expect(dir).toContain("ilo-bench-")
          expect(existsSync(dir)).toBe(false)
        }
      }))

    it.effect("temp files a program makes (mktemp, tempfile) go in its own directory and are removed with it", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const sh = yield* runner.run({ source: 'pwd\nmktemp\nmktemp -d\necho "$TMPDIR"\n', extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10))
        const py = yield* python("import os, tempfile\nprint(os.getcwd())\nprint(tempfile.mkstemp()[1])\nprint(tempfile.mkdtemp())\nprint(tempfile.gettempdir())\n")
        for (const result of [sh, py]) {
          expect(result.exitCode).toBe(0)
          const [cwd, ...made] = result.stdout.trim().split("\n")
          expect(made).toHaveLength(3)
          for (const path of made) {
            expect(path.startsWith(cwd!)).toBe(true)
            expect(existsSync(path)).toBe(false)
          }
        }
      }))

    it.effect("a directory a program locked (chmod 000) is removed all the same", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const locked = yield* runner.run({ source: "mkdir -p d/e && touch d/e/f && chmod 000 d/e d\npwd\n", extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10))
        expect(locked.exitCode).toBe(0)
        expect(existsSync(locked.stdout.trim())).toBe(false)
      }))

    it.effect("a program that deletes the programs' directory costs the next program nothing: it is made again", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const sh = (source: string) => runner.run({ source, extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10))
        const parent = yield* sh('cd .. && pwd && rm -rf "$(pwd)"\n')
        expect(existsSync(parent.stdout.trim())).toBe(false)
        expect(yield* sh("echo next\n")).toMatchObject({ stdout: "next\n", exitCode: 0 })
      }))

    it.effect("a sandbox that cannot be set up is the harness's failure, in bwrap's words, not the program's", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const sandbox = { bwrap: "/bin/false", limits: { memoryBytes: 2 ** 31, processes: 256, fileBytes: 2 ** 26 } }
        const failure = yield* Effect.flip(runner.run({ source: "echo hi\n", extension: ".sh", command: ["/bin/bash", "{file}"] }, Duration.seconds(10), sandbox))
        expect(failure).toMatchObject({ _tag: "SpawnError", command: "bwrap", message: "exited 1" })
      }))

    it.effect("interrupting a run kills its process", () =>
      Effect.gen(function* () {
        // The program tells us its pid through a file, since an interrupted run returns no output.
        const pidFile = join(mkdtempSync(join(tmpdir(), "runner-test-")), "pid")
        const fiber = yield* Effect.fork(
          python(`import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\ntime.sleep(300)\n`)
        )
        for (let i = 0; i < 50 && !existsSync(pidFile); i++) yield* Effect.sleep(Duration.millis(100))
        const pid = Number(readFileSync(pidFile, "utf8"))
        expect(isAlive(pid)).toBe(true)
        yield* Fiber.interrupt(fiber)
        yield* Effect.sleep(Duration.millis(200))
        expect(isAlive(pid)).toBe(false)
      }))

    it.effect("interrupting a run (Ctrl-C) kills its program and the program's children", () =>
      Effect.gen(function* () {
        const pids = join(mkdtempSync(join(tmpdir(), "runner-test-")), "pids")
        const runner = yield* ProgramRunner
        // The program starts a child, records both pids, and would run for a minute.
        const source = `sleep 60 &\necho "$$ $!" > '${pids}'\nwait\n`
        const fiber = yield* Effect.fork(runner.run({ source, extension: ".sh", command: ["bash", "{file}"] }, Duration.minutes(2)))
        for (let i = 0; i < 200 && (!existsSync(pids) || readFileSync(pids, "utf8").trim().split(" ").length < 2); i++)
          yield* Effect.sleep(Duration.millis(10))
        const [shell, sleeper] = readFileSync(pids, "utf8").trim().split(" ").map(Number)
        expect(isAlive(shell!) && isAlive(sleeper!)).toBe(true)
        yield* Fiber.interrupt(fiber)
        for (let i = 0; i < 100 && (isAlive(shell!) || isAlive(sleeper!)); i++) yield* Effect.sleep(Duration.millis(20))
        expect(isAlive(shell!)).toBe(false)
        expect(isAlive(sleeper!)).toBe(false)
      }))

    it.effect("a binary that does not exist is a SpawnError, not a crash", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const result = yield* runner.exec(["definitely-not-a-binary-xyz", "--version"], Duration.seconds(5)).pipe(Effect.flip)
        expect(result._tag).toBe("SpawnError")
      }))

    it.effect("a program host that dies fails only the programs it held; the next program gets a new host", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        // The program's parent is the host: this program kills it.
        const killed = yield* runner.run({ source: "kill -9 $PPID\nsleep 1\n", extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10)).pipe(Effect.flip)
        expect(killed._tag).toBe("SpawnError")
        expect(killed.message).toContain("exited (SIGKILL)")
        const next = yield* runner.run({ source: "echo again\n", extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10))
        expect(next).toMatchObject({ stdout: "again\n", exitCode: 0 })
      }))

    it.effect("a program that kills the host does not fail its neighbours: each runs once more, on a host of its own", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const sh = (source: string) => runner.run({ source, extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10))
        const [neighbour, killer] = yield* Effect.all([sh("sleep 0.6\necho fine\n"), Effect.either(sh("sleep 0.2\nkill -9 $PPID\nsleep 1\n"))], {
          concurrency: 2
        })
        expect(neighbour).toMatchObject({ stdout: "fine\n", exitCode: 0 })
        expect(killer._tag).toBe("Left")
      }))

    it.effect("a host let go while a program runs fails only its own programs, not those of the host after it", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const sh = (source: string) => runner.run({ source, extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10))
        const first = yield* Effect.fork(Effect.either(sh("sleep 2\n")))
        yield* Effect.sleep(Duration.millis(300))
        yield* runner.release
        const next = yield* sh("sleep 0.3\necho next\n")
        expect(next).toMatchObject({ stdout: "next\n", exitCode: 0 })
        expect((yield* Fiber.join(first))._tag).toBe("Left")
      }))

    it.effect("the directory of a program whose host was killed is removed when the runner closes", () =>
      Effect.gen(function* () {
        const where = join(mkdtempSync(join(tmpdir(), "runner-test-")), "cwd")
        const cwd = () => readFileSync(where, "utf8").trim()
        yield* Effect.gen(function* () {
          const runner = yield* ProgramRunner
          yield* runner.run({ source: `pwd > ${where}\nkill -9 $PPID\nsleep 1\n`, extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10)).pipe(Effect.flip)
          // The host died before it could remove it.
          expect(existsSync(cwd())).toBe(true)
        }).pipe(Effect.provide(ProgramRunnerLive))
        expect(existsSync(cwd())).toBe(false)
      }))

    it.effect("a programs' directory that a killed ilo-bench left behind is removed when a runner starts; a running one's is not", () =>
      Effect.gen(function* () {
        const pidOf = (command: string, args: Array<string>) =>
          Effect.async<{ pid: number; exited: Promise<void>; kill: () => void }>((resume) => {
            const child = spawn(command, args, { stdio: "ignore" })
            resume(Effect.succeed({ pid: child.pid!, exited: new Promise((r) => child.on("exit", () => r())), kill: () => child.kill() }))
          })
        const gone = yield* pidOf("true", [])
        yield* Effect.promise(() => gone.exited)
        const alive = yield* pidOf("sleep", ["30"])
        const stale = join(tmpdir(), `ilo-bench-programs-${gone.pid}-test`)
        const live = join(tmpdir(), `ilo-bench-programs-${alive.pid}-test`)
        mkdirSync(join(stale, "ilo-bench-x"), { recursive: true })
        mkdirSync(live)
        yield* Effect.gen(function* () {
          const runner = yield* ProgramRunner
          yield* runner.run({ source: "echo hi\n", extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10))
        }).pipe(Effect.provide(ProgramRunnerLive))
        alive.kill()
        expect(existsSync(stale)).toBe(false)
        expect(existsSync(live)).toBe(true)
        rmSync(live, { recursive: true })
      }))

    it.effect("release lets the program host exit at once; the next program starts a new one", () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const sh = (source: string) => runner.run({ source, extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10))
        const first = Number((yield* sh("echo $PPID\n")).stdout.trim())
        expect(isAlive(first)).toBe(true)
        yield* runner.release
        for (let i = 0; i < 250 && isAlive(first); i++) yield* Effect.sleep(Duration.millis(20))
        expect(isAlive(first)).toBe(false)
        const second = Number((yield* sh("echo $PPID\n")).stdout.trim())
        expect(second).not.toBe(first)
        expect(isAlive(second)).toBe(true)
      }))
})

describe("the sandbox's CPU-time limit", () => {
  it("is a backstop the wall-clock timeout always comes before, whatever threads spin on every core", () => {
    for (const timeoutMs of [500, 2000, 10_000, 600_000]) {
      const shell = bwrapArgs(DEFAULT_LIMITS, ["/bin/true"], { timeoutMs }).join(" ")
      const seconds = Number(/ulimit -t (\d+)/.exec(shell)?.[1])
      // A second of margin on every core for a timer that fires late on a loaded machine.
      expect(seconds).toBeGreaterThanOrEqual((timeoutMs / 1000 + 1) * availableParallelism())
    }
  })
})

describe("the program host process", () => {
  it("when the harness goes away (the host's stdin closes), every program still running is killed and the host exits", async () => {
    const pids = join(mkdtempSync(join(tmpdir(), "runner-test-")), "pids")
    const [command, ...args] = hostCommand(hostFile)
    const host = spawn(command!, args, { stdio: ["pipe", "pipe", "inherit"] })
    const exited = new Promise<number | null>((resolve) => host.on("exit", (code) => resolve(code)))
    const request = { command: ["bash", "{file}"], timeoutMs: 120_000, program: { source: `sleep 60 &\necho "$$ $!" > '${pids}'\nwait\n`, extension: ".sh" } }
    host.stdin.write(encodeRun(1, request))
    for (let i = 0; i < 300 && (!existsSync(pids) || readFileSync(pids, "utf8").trim().split(" ").length < 2); i++)
      await new Promise((r) => setTimeout(r, 10))
    const [shell, sleeper] = readFileSync(pids, "utf8").trim().split(" ").map(Number)
    expect(isAlive(shell!) && isAlive(sleeper!)).toBe(true)
    host.stdin.end()
    expect(await exited).toBe(0)
    for (let i = 0; i < 100 && (isAlive(shell!) || isAlive(sleeper!)); i++) await new Promise((r) => setTimeout(r, 20))
    expect(isAlive(shell!)).toBe(false)
    expect(isAlive(sleeper!)).toBe(false)
  })
})

describe("a program host whose harness is slow to read its answers", () => {
  it("goes on reading programs' output and enforcing time limits meanwhile", async () => {
    const [command, ...args] = hostCommand(hostFile)
    const host = spawn(command!, args, { stdio: ["pipe", "pipe", "inherit"] })
    const answers: Array<ReturnType<typeof decodeOutcome>> = []
    onLines(host.stdout, (line) => answers.push(decodeOutcome(line)))
    host.stdout.pause()
    const big = { command: ["bash", "-c", "head -c 2000000 /dev/zero"], timeoutMs: 20_000 }
    host.stdin.write(encodeRun(1, big))
    host.stdin.write(encodeRun(2, big))
    await new Promise((r) => setTimeout(r, 200))
    host.stdin.write(encodeRun(3, { command: ["sleep", "10"], timeoutMs: 300 }))
    await new Promise((r) => setTimeout(r, 2000))
    host.stdout.resume()
    for (let i = 0; i < 200 && answers.length < 3; i++) await new Promise((r) => setTimeout(r, 20))
    host.stdin.end()
    const byId = new Map(answers.map((a) => [a.id, a.outcome]))
    for (const id of [1, 2]) expect(byId.get(id)).toMatchObject({ run: { exitCode: 0, outputTruncated: true } })
    // Each program ran as fast as it could print, not as fast as the harness read.
    for (const id of [1, 2]) expect((byId.get(id) as { run: { durationMs: number } }).run.durationMs).toBeLessThan(1500)
    expect(byId.get(3)).toMatchObject({ run: { timedOut: true, exitCode: null } })
    expect((byId.get(3) as { run: { durationMs: number } }).run.durationMs).toBeLessThan(1500)
  })
})

describe.runIf(spawnSync("prlimit", ["--version"]).status === 0)("a program host out of file descriptors", () => {
  it("answers every program (EMFILE for those it cannot start), leaves no directory behind and goes on", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "ilo-bench-emfile-"))
    const host = spawn("prlimit", ["--nofile=26", ...hostCommand(hostFile)], { stdio: ["pipe", "pipe", "inherit"], env: { PATH: process.env.PATH, TMPDIR: tmp } })
    const answers: Array<ReturnType<typeof decodeOutcome>> = []
    onLines(host.stdout, (line) => answers.push(decodeOutcome(line)))
    const exited = new Promise<number | null>((resolve) => host.on("exit", (code) => resolve(code)))
    for (let id = 1; id <= 16; id++) host.stdin.write(encodeRun(id, { command: ["sleep", "0.5"], timeoutMs: 10_000 }))
    for (let i = 0; i < 300 && answers.length < 16; i++) await new Promise((r) => setTimeout(r, 20))
    host.stdin.write(encodeRun(17, { command: ["echo", "after"], timeoutMs: 10_000 }))
    for (let i = 0; i < 300 && answers.length < 17; i++) await new Promise((r) => setTimeout(r, 20))
    host.stdin.end()
    expect(await exited).toBe(0)
    const failed = answers.filter((a) => "spawnError" in a.outcome).map((a) => a.outcome)
    expect(failed.length).toBeGreaterThan(0)
    for (const f of failed) expect(f).toEqual({ spawnError: { command: "sleep", message: "spawn sleep EMFILE" } })
    expect(answers.find((a) => a.id === 17)?.outcome).toMatchObject({ run: { stdout: "after\n", exitCode: 0 } })
    expect(readdirSync(tmp)).toEqual([])
    rmSync(tmp, { recursive: true, force: true })
  })
})

describe("a program host that cannot start", () => {
  it.effect("again, after a program killed it: the run stops as the harness's failure, not the program's", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "ilo-bench-host-copy-"))
      const host = join(dir, "programHost.js")
      copyFileSync(hostFile, host)
      const failure = yield* Effect.flip(
        Effect.flatMap(ProgramRunner, (runner) =>
          runner.run({ source: `mv '${host}' '${host}.gone'\nkill -9 $PPID\nsleep 1\n`, extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(10))
        ).pipe(Effect.provide(programRunnerOn(host)))
      )
      rmSync(dir, { recursive: true, force: true })
      expect(failure._tag).toBe("ProgramHostUnavailable")
    }))

  it.effect("is the harness's failure, not the program's: a typed failure naming it, no failed attempt", () =>
    Effect.gen(function* () {
      const missing = join(tmpdir(), "ilo-bench-no-such-host.js")
      const failure = yield* Effect.flip(
        Effect.flatMap(ProgramRunner, (runner) => runner.run({ source: "echo 1\n", extension: ".sh", command: ["bash", "{file}"] }, Duration.seconds(5))).pipe(
          Effect.provide(programRunnerOn(missing))
        )
      )
      expect(failure._tag).toBe("ProgramHostUnavailable")
      expect(failure.message).toBe(`cannot start the program host: ${missing} is missing: run \`npm run build\``)
    }))
})


describe("the program host on odd cases", () => {
  it.effect("output that is not UTF-8, signals, spawn errors, scripts without #!, {file} twice, a large source", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "ilo-bench-parity-"))
      const noShebang = join(dir, "no-shebang")
      writeFileSync(noShebang, 'echo "sh ran $1"\n', { mode: 0o755 })
      const relative = relativePath(process.cwd(), noShebang)
      const sh = (source: string) => ({ source, extension: ".sh", command: ["bash", "{file}"] })
      symlinkSync(join(dir, "loop-b"), join(dir, "loop-a"))
      symlinkSync(join(dir, "loop-a"), join(dir, "loop-b"))
      writeFileSync(join(dir, "bad-interpreter"), "#!/nonexistent/interpreter\n", { mode: 0o755 })
      writeFileSync(join(dir, "on-path"), 'echo "on the path: $1"\n', { mode: 0o755 })
      const cases: Array<{ program?: { source: string; extension: string; command: Array<string> }; command?: Array<string>; path?: string }> = [
        // invalid and cut-off UTF-8, in stdout and stderr
        { program: sh("printf 'a\\xff\\xfeb\\xe2\\x82 c\\xf0\\x9f\\x98\\x80\\xed\\xa0\\x80'; printf '\\xc3' >&2\n") },
        { program: sh("kill -TERM $$\n") },
        { program: sh("exit 7\n") },
        { program: { source: "print('x' * 10)\n", extension: ".py", command: ["python3", "{file}", "--name={file}"] } },
        { program: sh(`echo ${"é😀".repeat(200_000).length}\n# ${"é😀\u{10FFFF}".repeat(300_000)}\n`) },
        { command: ["definitely-not-a-binary-xyz", "--version"] },
        { command: [dir] },
        { command: [noShebang, "one"] },
        { command: [relative, "two"] },
        { command: ["./no-such-dir/../nothing-here"] },
        { command: [""] },
        { command: ["bash", "-c", "printf '%s|' \"$HOME\" \"$PWD\" \"$LANG\" \"${ILO_BENCH_HOST:+marked}\"; cat; echo"] },
        // stdout is a socket, as libuv makes it: /dev/stdout cannot be opened
        { command: ["bash", "-c", "echo hi > /dev/stdout; echo rc=$? >&2"] },
        // no signal is left ignored that Node's children have at its default
        { command: ["bash", "-c", "while read -r l; do case $l in SigIgn*) echo \"$l\";; esac; done < /proc/self/status"] },
        // errors Node throws (named by code only) and those it reports naming the file
        { command: ["/etc/passwd/x"] },
        { command: [join(dir, "loop-a")] },
        { command: ["a".repeat(300)] },
        { command: ["echo", "x".repeat(200_000)] },
        { command: ["ec\0ho", "x"] },
        { command: ["echo", "a\0b"] },
        { program: { source: "echo hi\n", extension: ".s\0h", command: ["bash", "{file}"] } },
        // an extension that climbs out of the directory is folded as path.join folds it
        { program: { source: "echo climbed\n", extension: "/../../ilo-bench-climb.sh", command: ["bash", "{file}"] } },
        { program: { source: "echo hi\n", extension: ".sh", command: ["{file}/x"] } },
        // searched on a PATH that starts with the test's directory and ends with "" (the program's directory)
        { command: ["bad-interpreter"], path: `${dir}:${process.env.PATH}:` },
        { program: { source: "echo hi\n", extension: ".sh", command: ["program.sh"] }, path: `${dir}:${process.env.PATH}:` },
        { command: ["on-path", "x"], path: `${dir}:${process.env.PATH}` },
        // a PATH longer than any fixed buffer reaches the program whole
        { command: ["bash", "-c", "echo ${#PATH} ${PATH: -9}"], path: `${"/nonexistent/dir".repeat(600)}:${process.env.PATH}` }
      ]
      const answers = (hostFile: string) =>
        Effect.gen(function* () {
          const out: Array<unknown> = []
          for (const c of cases) {
            // The host searches the PATH it was started with: a host of its own for each case.
            const path = process.env.PATH
            if (c.path !== undefined) process.env.PATH = c.path
            const result = yield* Effect.either(
              Effect.flatMap(ProgramRunner, (runner) =>
                c.program !== undefined ? runner.run(c.program, Duration.seconds(20)) : runner.exec(c.command!, Duration.seconds(20))
              ).pipe(Effect.provide(programRunnerOn(hostFile)), Effect.ensuring(Effect.sync(() => (process.env.PATH = path))))
            )
            // Each program's directory has a name of its own.
            const text = JSON.stringify(result._tag === "Right" ? { ...result.right, durationMs: 0 } : result.left)
            out.push(JSON.parse(text.replace(/ilo-bench-programs-\d+-[A-Za-z0-9]{6}/g, "SCRATCH").replace(/ilo-bench-[A-Za-z0-9]{6}/g, "ilo-bench-DIR")))
          }
          return out
        })
      const node = yield* answers(PROGRAM_HOST)
      rmSync(dir, { recursive: true, force: true })
      expect((node[1] as { exitCode: unknown }).exitCode).toBeNull()
      expect((node[5] as { message: string }).message).toBe("spawn definitely-not-a-binary-xyz ENOENT")
      expect((node[7] as { stdout: string }).stdout).toBe("sh ran one\n")
      const at = (i: number) => node[cases.length - 15 + i] as Record<string, string>
      expect(at(0).stderr).toContain("/dev/stdout")
      expect(at(1).stdout).toMatch(/^SigIgn:\s+0+[0-9a-f]?\n$/)
      expect(at(2)).toMatchObject({ command: "/etc/passwd/x", message: "spawn ENOTDIR" })
      expect(at(4).message).toBe("spawn ENAMETOOLONG")
      expect(at(5).message).toBe("spawn E2BIG")
      expect(at(9).stdout).toBe("climbed\n")
      expect(at(10)).toMatchObject({ command: "{file}/x", message: "spawn ENOTDIR" })
      expect(at(11)).toMatchObject({ command: "bad-interpreter", message: "spawn bad-interpreter ENOENT" })
      // A program gets the system PATH, not the harness's (whose empty entry meant its own directory).
      expect(at(12).message).toBe("spawn program.sh ENOENT")
      expect(at(13).stdout).toBe("on the path: x\n")
      expect(at(14).stdout).toBe(`${9600 + 1 + (process.env.PATH ?? "").length} ${(process.env.PATH ?? "").slice(-9)}\n`)
    }))
})
