import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process"
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdtempSync, readdirSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, isAbsolute, join, resolve } from "node:path"
import type { Readable, Writable } from "node:stream"
import { Context, Data, Duration, Effect, Layer } from "effect"
import { removeOnExitNow } from "../platform/exitNow.js"
import { packageRoot } from "../platform/paths.js"
import { isRunning } from "../platform/pids.js"
import { redact, secretValues } from "../platform/secrets.js"
import { timerMillis } from "../platform/timer.js"
import { decodeOutcome, encodeCancel, encodeRun, onLines } from "./hostProtocol.js"
import {
  bwrapArgs,
  DEFAULT_PATH,
  isSystemPath,
  removeTree,
  sweepLeftovers,
  cpuLimitSeconds,
  type ProcessOutcome,
  type ProcessRequest,
  type ProgramRun,
  type SandboxLimits,
  type SandboxRequest
} from "./programProcess.js"

export { OUTPUT_CAP_BYTES, type ProgramRun, type SandboxLimits } from "./programProcess.js"

/** A program source to write to a fresh directory and run there. */
export interface ProgramSource {
  readonly source: string
  /** File extension including the dot, e.g. ".py". */
  readonly extension: string
  /** The command line; "{file}" in any element is replaced by the program's path. */
  readonly command: ReadonlyArray<string>
}

export class SpawnError extends Data.TaggedError("SpawnError")<{
  readonly command: string
  readonly message: string
}> {}

/**
 * The harness cannot start programs at all (its program host is missing or cannot start): no
 * program's fault, so no attempt is scored on it.
 */
export class ProgramHostUnavailable extends Data.TaggedError("ProgramHostUnavailable")<{ readonly reason: string }> {
  override get message() {
    return `cannot start the program host: ${this.reason}`
  }
}

/**
 * The harness could not run program after program: the benchmark stops here, with one line,
 * instead of ending every remaining run in "error".
 */
export class HarnessFailing extends Data.TaggedError("HarnessFailing")<{ readonly count: number; readonly reason: string }> {
  override get message() {
    return `the harness could not run ${this.count} programs in a row, the last because: ${this.reason}`
  }
}

/** Programs in a row the harness could not run before the benchmark stops. */
export const HARNESS_FAILURES_TO_STOP = 5

/** What a program sent to a host comes to: the host's answer, or no host to run it on. */
type HostOutcome = ProcessOutcome | { readonly hostUnavailable: string }

export class ProgramRunner extends Context.Tag("ilo-bench/ProgramRunner")<
  ProgramRunner,
  {
    /** Runs a command line with a time limit, in a fresh directory and a scrubbed environment. */
    readonly exec: (
      command: ReadonlyArray<string>,
      timeout: Duration.Duration
    ) => Effect.Effect<ProgramRun, SpawnError | ProgramHostUnavailable>
    /** Writes a program into a fresh temp directory (or sandbox), runs it there, removes the directory. */
    readonly run: (
      program: ProgramSource,
      timeout: Duration.Duration,
      sandbox?: SandboxRequest | undefined
    ) => Effect.Effect<ProgramRun, SpawnError | ProgramHostUnavailable | HarnessFailing>
    /**
     * No program is due for now: let go of the processes kept for the next one (the program host),
     * so they end while the caller goes on (writing reports); a later run starts them again.
     */
    readonly release: Effect.Effect<void>
  }
>() {
  static make = (impl: Context.Tag.Service<ProgramRunner>): Context.Tag.Service<ProgramRunner> => impl
}

/** The program host (src/services/programHost.ts), bundled beside the CLI. */
export const PROGRAM_HOST = join(packageRoot, "dist", "programHost.js")

type HostProcess = ChildProcessByStdio<Writable, Readable, null>

/** The command line that starts the host in `file`, under this Node. */
export const hostCommand = (file: string): ReadonlyArray<string> => [process.execPath, file]

const SCRATCH_PREFIX = "ilo-bench-programs-"
/** A programs' directory, and the pid of the ilo-bench that made it. */
const SCRATCH_NAME = new RegExp(`^${SCRATCH_PREFIX}(\\d+)-`)

/** Directories in `parent` named for an ilo-bench process that is gone (a kill -9 cannot remove its own). */
const removeStale = (parent: string, pattern: RegExp) => {
  let names: Array<string>
  try {
    names = readdirSync(parent)
  } catch {
    return
  }
  for (const name of names) {
    const owner = pattern.exec(name)?.[1]
    if (owner !== undefined && Number(owner) !== process.pid && !isRunning(Number(owner))) removeTree(join(parent, name))
  }
}
const removeStaleScratch = () => removeStale(tmpdir(), SCRATCH_NAME)
/** Copies of interpreters for a sandbox run as nobody, and the pid of the ilo-bench that made them. */
const INTERPRETERS_NAME = /^ilo-bench-interpreters-(\d+)-/

interface Pending {
  id: number
  /** The host it was sent to: only that host's exit loses it. */
  host: HostProcess | undefined
  readonly request: ProcessRequest
  done: (outcome: HostOutcome) => void
  rerun: boolean
}

/**
 * The harness's end of a program host (src/services/programHost.ts): started on first use, so commands
 * that run nothing never start it; started again if it dies, and the programs it held run once
 * more, each on a host of its own.
 */
const hostClient = (hostFile: string) => {
  let host: HostProcess | undefined
  /** Hosts whose stdin was ended and that have not exited yet. */
  const ending = new Set<HostProcess>()
  let nextId = 0
  /** Programs sent and not answered, by id; `rerun` once a host died under them. */
  const pending = new Map<number, Pending>()
  /**
   * The programs' directories go in one of the harness's, removed as it closes: a host killed
   * mid-program (a program may kill its parent) cannot remove the one it held.
   */
  let scratch: string | undefined

  const start = (): HostProcess => {
    if (!existsSync(hostFile)) throw new Error(`${hostFile} is missing: run \`npm run build\``)
    if (scratch === undefined) {
      removeStaleScratch()
      scratch = mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`))
      removeOnExitNow.add(scratch)
    }
    // The host needs no secret: only where interpreters are, how text is encoded and where to work.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? DEFAULT_PATH, TMPDIR: scratch }
    if (process.env.LANG !== undefined) env.LANG = process.env.LANG
    const options = { stdio: ["pipe", "pipe", "inherit"] as ["pipe", "pipe", "inherit"], env }
    const launch = (file: string): HostProcess => {
      const [command, ...args] = hostCommand(file)
      const started = spawn(command!, args, options)
      // One that cannot start at all has no pid, and emits an error but no exit.
      started.on("error", () => {})
      return started
    }
    const child = launch(hostFile)
    if (child.pid === undefined) throw new Error(`${hostFile} could not be started`)
    onLines(child.stdout, (line) => {
      const { id, outcome } = decodeOutcome(line)
      const entry = pending.get(id)
      pending.delete(id)
      entry?.done(outcome)
    })
    // A write after the host died fails here, not as an uncaught error; its exit fails the rest.
    child.stdin.on("error", () => {})
    child.on("exit", (code, signal) => {
      if (host === child) host = undefined
      // Killed (by a program, say), it could not kill what its programs left in sessions of their own.
      if ((signal !== null || code !== 0) && child.pid !== undefined) sweepLeftovers(child.pid)
      alone.delete(child)
      // A host told to end (release, close) was meant to stop its programs: nothing runs again.
      const ended = ending.delete(child)
      const lost = [...pending.values()].filter((entry) => entry.host === child)
      for (const entry of lost) pending.delete(entry.id)
      // One program can kill the host (its parent) and take the others with it: each of those runs
      // once more, on a host of its own, so a neighbour's outcome does not depend on it. The one
      // that killed it does so again, alone, and fails.
      for (const entry of lost) {
        if (!entry.rerun && !ended) {
          entry.rerun = true
          try {
            rerunAlone(entry)
            continue
          } catch (error) {
            // No host can start: the harness's failure, not this program's.
            entry.done({ hostUnavailable: (error as Error).message })
            continue
          }
        }
        entry.done({ spawnError: { command: "program host", message: `it exited (${signal ?? `code ${code}`}) while the program ran` } })
      }
    })
    return child
  }

  const dispatch = (entry: Pending, to: HostProcess) => {
    entry.host = to
    entry.id = nextId++
    pending.set(entry.id, entry)
    to.stdin.write(encodeRun(entry.id, entry.request))
  }

  /** Hosts each running one program again, alone: ended once it answers, or at close. */
  const alone = new Set<HostProcess>()
  const endHost = (child: HostProcess) => {
    alone.delete(child)
    if (child.exitCode !== null || child.signalCode !== null) return
    ending.add(child)
    child.stdin.end()
  }
  const rerunAlone = (entry: Pending) => {
    const own = start()
    alone.add(own)
    const done = entry.done
    entry.done = (outcome) => {
      endHost(own)
      done(outcome)
    }
    dispatch(entry, own)
  }

  const send = (request: ProcessRequest, done: (outcome: HostOutcome) => void) => {
    const entry: Pending = { id: -1, host: undefined, request, done, rerun: false }
    dispatch(entry, (host ??= start()))
    return () => {
      if (pending.delete(entry.id)) entry.host?.stdin.write(encodeCancel(entry.id))
    }
  }

  /** Ends the host's stdin: it kills whatever still runs and exits; the next send starts another. */
  const release = () => {
    const child = host
    host = undefined
    if (child !== undefined) endHost(child)
  }

  /** Ends the host and waits for every host to exit, so no process outlives the harness. */
  const close = () => {
    release()
    for (const child of [...alone]) endHost(child)
    return Promise.all(
      [...ending].map((child) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.on("exit", () => resolve())
      }))
    ).then(() => {
      if (scratch !== undefined) {
        removeTree(scratch)
        removeOnExitNow.delete(scratch)
      }
      scratch = undefined
    })
  }

  return { send, release, close }
}

const millis = (timeout: Duration.Duration) => timerMillis(Duration.toMillis(timeout))

/**
 * What a program printed, with any key of the harness's environment taken out: it is sent back to
 * the model and written to the reports, and a program runs as the same user as the harness.
 */
const redacted = (run: ProgramRun, secrets: ReadonlyArray<string>): ProgramRun =>
  secrets.length === 0 ? run : { ...run, stdout: redact(run.stdout, secrets), stderr: redact(run.stderr, secrets) }

const call = (send: ReturnType<typeof hostClient>["send"], request: ProcessRequest, secrets: ReadonlyArray<string>) =>
  Effect.async<ProgramRun, SpawnError | ProgramHostUnavailable>((resume) => {
    try {
      const cancel = send(request, (outcome) =>
        resume(
          "run" in outcome
            ? Effect.succeed(redacted(outcome.run, secrets))
            : "hostUnavailable" in outcome
              ? Effect.fail(new ProgramHostUnavailable({ reason: outcome.hostUnavailable }))
              : Effect.fail(new SpawnError(outcome.spawnError))
        )
      )
      return Effect.sync(cancel)
    } catch (error) {
      resume(Effect.fail(new ProgramHostUnavailable({ reason: (error as Error).message })))
    }
  })

/** The runner on the program host in `hostFile` (tests point it elsewhere). */
export const programRunnerOn = (hostFile: string) =>
  Layer.scoped(
    ProgramRunner,
    Effect.map(
      Effect.acquireRelease(Effect.sync(() => hostClient(hostFile)), (client) => Effect.promise(client.close)),
      ({ send, release }) => {
        const secrets = secretValues()
        return ProgramRunner.make({
          exec: (command, timeout) => call(send, { command, timeoutMs: millis(timeout) }, secrets),
          run: (program, timeout, sandbox) =>
            call(
              send,
              {
                command: program.command,
                timeoutMs: millis(timeout),
                program: { source: program.source, extension: program.extension },
                ...(sandbox !== undefined ? { sandbox } : {})
              },
              secrets
            ),
          release: Effect.sync(release)
        })
      }
    )
  )

export const ProgramRunnerLive = programRunnerOn(PROGRAM_HOST)

/**
 * The same runner, stopping the benchmark (HarnessFailing) once `limit` programs of one
 * interpreter in a row could not be run by the harness: one such failure ends only its run, a
 * harness that keeps failing ends the benchmark (a working leg beside a broken one does not hide it).
 */
export const stopWhenFailing = (runner: ProgramRunner["Type"], limit = HARNESS_FAILURES_TO_STOP): ProgramRunner["Type"] => {
  const inRow = new Map<string, number>()
  return ProgramRunner.make({
    ...runner,
    run: (program, timeout, sandbox) => {
      const bin = program.command[0] ?? ""
      return runner.run(program, timeout, sandbox).pipe(
        Effect.tap(() => Effect.sync(() => inRow.delete(bin))),
        Effect.catchAll((error) => {
          if (error._tag === "HarnessFailing") return Effect.fail(error)
          const count = (inRow.get(bin) ?? 0) + 1
          inRow.set(bin, count)
          return Effect.fail(count < limit ? error : new HarnessFailing({ count, reason: error.message }))
        })
      )
    }
  })
}

// ---- the sandbox ------------------------------------------------------------------------------

export type SandboxMode = "auto" | "bwrap" | "none"

/** The sandbox a benchmark's programs run in, as chosen at its start. */
export type Sandbox =
  | { readonly mode: "none"; readonly requested: SandboxMode; readonly why?: string | undefined }
  | { readonly mode: "bwrap"; readonly requested: SandboxMode; readonly request: SandboxRequest }

export class SandboxUnavailable extends Data.TaggedError("SandboxUnavailable")<{ readonly reason: string }> {
  override get message() {
    return `--sandbox bwrap: ${this.reason} (install bubblewrap, or see the README for running in a container)`
  }
}

export const DEFAULT_LIMITS: SandboxLimits = { memoryBytes: 2 * 1024 ** 3, processes: 256, fileBytes: 64 * 1024 ** 2 }

/** What a program run without a sandbox can do: the warning `auto` prints when it falls back. */
export const UNCONTAINED =
  "a program can read your files and, through /proc, the environment of your other processes (an API key included), " +
  "write wherever you can, reach the network and services on localhost, and use all memory and processes"

/** The first executable file named `name` in `dirs`, else undefined. */
const findOn = (name: string, dirs: ReadonlyArray<string>) => {
  for (const dir of dirs) {
    if (dir === "" || !isAbsolute(dir)) continue
    const file = join(dir, name)
    try {
      accessSync(file, constants.X_OK)
      if (statSync(file).isFile()) return file
    } catch {
      // not here
    }
  }
  return undefined
}

/** The harness's PATH as it started: interpreters are found on it once, not on what it becomes. */
const startingPath = (process.env.PATH ?? DEFAULT_PATH).split(delimiter)

/**
 * The absolute path of a command's binary: a path is taken from the harness's directory; a bare
 * name is looked up in the system's directories first when sandboxed (where only they are
 * mounted), then on the PATH the harness started with. Unknown names are left for spawn to refuse.
 */
export const resolveBinary = (bin: string, sandboxed: boolean) => {
  if (bin.includes("{file}")) return bin
  if (bin.includes("/")) return resolve(bin)
  return findOn(bin, sandboxed ? [...DEFAULT_PATH.split(":"), ...startingPath] : startingPath) ?? bin
}

/** Whether bwrap runs here with these limits: a sandboxed `true`, as every program will be run. */
const probeBwrap = (request: SandboxRequest): string | undefined => {
  const probe = spawnSync(request.bwrap, bwrapArgs(request.limits, ["/bin/true"], { timeoutMs: 10_000 }), {
    cwd: "/",
    env: {},
    stdio: ["ignore", "ignore", "pipe", "pipe"],
    timeout: 10_000,
    encoding: "utf8",
    ...(request.runAs ?? {})
  })
  if (probe.error !== undefined) return probe.error.message
  if (probe.status === 0 && probe.output[3] === "up") return undefined
  return (probe.stderr ?? "").trim().split("\n")[0] || `bwrap exited ${probe.status ?? probe.signal}`
}

/**
 * The sandbox for a benchmark's programs: `none`; `bwrap`, or a failure if bwrap cannot run here;
 * `auto`, bwrap where it runs, else none with one warning that says what is not contained.
 */
export const chooseSandbox = (requested: SandboxMode, limits: SandboxLimits = DEFAULT_LIMITS) =>
  Effect.gen(function* () {
    if (requested === "none") return { mode: "none", requested } satisfies Sandbox as Sandbox
    const bwrap = process.platform === "linux" ? findOn("bwrap", [...DEFAULT_PATH.split(":"), ...startingPath]) : undefined
    // Programs never run as root: a root harness starts bwrap as nobody.
    const runAs = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined
    const request: SandboxRequest | undefined = bwrap === undefined ? undefined : { bwrap, limits, ...(runAs !== undefined ? { runAs } : {}) }
    const why =
      process.platform !== "linux"
        ? `bubblewrap runs only on Linux, not ${process.platform}`
        : request === undefined
          ? "bwrap is not installed"
          : probeBwrap(request)
    if (why === undefined && request !== undefined) return { mode: "bwrap", requested, request } satisfies Sandbox as Sandbox
    if (requested === "bwrap") return yield* new SandboxUnavailable({ reason: why ?? "bwrap cannot run here" })
    yield* Effect.sync(() =>
      process.stderr.write(
        `WARNING: no sandbox (--sandbox auto: ${why}): programs run as you, unconfined: ${UNCONTAINED}. ` +
          "Install bubblewrap, or run the benchmark in a container (see the README).\n"
      )
    )
    return { mode: "none", requested, why } satisfies Sandbox as Sandbox
  })

/**
 * The request, with the interpreters outside the system's directories it must mount. bwrap runs as
 * nobody under a root harness and may not reach them where they are (under /root, say): it gets
 * a copy made now, in a directory of /tmp that user can read, removed as the harness exits.
 */
const withInterpreters = (request: SandboxRequest, binaries: ReadonlyArray<string>): SandboxRequest => {
  const outside = binaries.filter((bin) => isAbsolute(bin) && !isSystemPath(bin) && existsSync(bin))
  if (outside.length === 0) return request
  if (request.runAs === undefined) return { ...request, interpreters: outside.map((bin) => [bin, bin] as const) }
  // Those a killed ilo-bench left (its pid is gone) go first.
  removeStale("/tmp", INTERPRETERS_NAME)
  const dir = mkdtempSync(join("/tmp", `ilo-bench-interpreters-${process.pid}-`))
  removeOnExitNow.add(dir)
  process.once("exit", () => removeTree(dir))
  chmodSync(dir, 0o755)
  const interpreters = outside.map((bin, i) => {
    const copy = join(dir, String(i))
    copyFileSync(bin, copy)
    chmodSync(copy, 0o755)
    return [bin, copy] as const
  })
  return { ...request, interpreters }
}

/** The sandbox as the report's configuration records it. */
export const sandboxRecord = (sandbox: Sandbox, runTimeoutS: number) =>
  sandbox.mode === "none"
    ? { mode: "none" as const, requested: sandbox.requested, limits: null }
    : {
        mode: "bwrap" as const,
        requested: sandbox.requested,
        limits: {
          memory_mb: Math.round(sandbox.request.limits.memoryBytes / 1024 ** 2),
          processes: sandbox.request.limits.processes,
          file_mb: Math.round(sandbox.request.limits.fileBytes / 1024 ** 2),
          cpu_s: cpuLimitSeconds(runTimeoutS * 1000)
        }
      }

/**
 * The runner a benchmark's programs go through: in its sandbox, with each command's binary found
 * once (those of `commands` now, at the start), and stopping the benchmark once the harness keeps
 * failing to run programs.
 */
export const forBenchmark = (runner: ProgramRunner["Type"], sandbox: Sandbox, commands: ReadonlyArray<ReadonlyArray<string>>): ProgramRunner["Type"] => {
  const sandboxed = sandbox.mode === "bwrap"
  const found = new Map<string, string>()
  const binary = (bin: string) => {
    let path = found.get(bin)
    if (path === undefined) found.set(bin, (path = resolveBinary(bin, sandboxed)))
    return path
  }
  for (const command of commands) if (command[0] !== undefined) binary(command[0])
  const request = sandbox.mode === "bwrap" ? withInterpreters(sandbox.request, [...found.values()]) : undefined
  return stopWhenFailing(
    ProgramRunner.make({
      ...runner,
      run: (program, timeout) => {
        const [bin, ...args] = program.command
        return runner.run({ ...program, command: bin === undefined ? [] : [binary(bin), ...args] }, timeout, request)
      }
    })
  )
}
