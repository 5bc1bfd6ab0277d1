import { spawn, type StdioOptions } from "node:child_process"
import { accessSync, chmodSync, constants, lstatSync, readlinkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs"
import { availableParallelism, tmpdir } from "node:os"
import { join, posix, resolve } from "node:path"
import type { Readable, Writable } from "node:stream"
import { timerMillis } from "../platform/timer.js"

/**
 * Running one generated program as a process: plain Node, no Effect, so that the small program
 * host process (src/services/programHost.ts) can load it without the rest of the harness.
 */

/** What a finished (or killed) process left behind. */
export interface ProgramRun {
  readonly stdout: string
  readonly stderr: string
  /** null when the process was killed by a signal (for example on timeout). */
  readonly exitCode: number | null
  readonly durationMs: number
  readonly timedOut: boolean
  readonly outputTruncated: boolean
}

/** One process to start: a command line, and optionally a program file to write first. */
export interface ProcessRequest {
  /** "{file}" in any element is replaced by the program's path. */
  readonly command: ReadonlyArray<string>
  /** null: no time limit. */
  readonly timeoutMs: number | null
  /** The program to write into the fresh directory, named program<extension>. */
  readonly program?: { readonly source: string; readonly extension: string } | undefined
  /** Run it inside a bubblewrap sandbox (programs only). */
  readonly sandbox?: SandboxRequest | undefined
}

/** What each sandboxed program may use, at most. */
export interface SandboxLimits {
  readonly memoryBytes: number
  readonly processes: number
  /** The largest file it may write, and the size of each of its writable directories (/tmp, /tmp/ilo-bench). */
  readonly fileBytes: number
}

export interface SandboxRequest {
  /** The bwrap binary, an absolute path. */
  readonly bwrap: string
  readonly limits: SandboxLimits
  /** The user bwrap runs as when the harness is root: programs never run as root. */
  readonly runAs?: { readonly uid: number; readonly gid: number } | undefined
  /**
   * Interpreters outside the system's directories, each mounted read-only at its own path: [where
   * it is, the file to mount] (a copy that runAs can read, when the harness is root).
   */
  readonly interpreters?: ReadonlyArray<readonly [string, string]> | undefined
}

export type ProcessOutcome = { readonly run: ProgramRun } | { readonly spawnError: { readonly command: string; readonly message: string } }

/** Captured stdout and stderr stop growing here, so a program that prints forever cannot exhaust memory. */
export const OUTPUT_CAP_BYTES = 1024 * 1024

/**
 * After a program exits, how long its output pipes may stay open: a process it started in a new
 * session (setsid) escapes the group kill and can hold them open for as long as it lives.
 */
const EXIT_DRAIN_MS = 500

/**
 * Every program's environment carries the host's pid under this name, and so do their children's,
 * unless they drop it: what the host's sweep finds when it exits (a process in a new session is
 * out of reach of the group kill).
 */
export const PROGRAM_MARK = "ILO_BENCH_HOST"

/**
 * The PATH of every generated program, and where the harness looks for tools when it was started
 * without one: the system's directories only, none a program or the user could have written to.
 */
export const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"

/** The directories a sandbox shows, read-only: the system, nothing of the user's. */
export const SYSTEM_DIRS = ["/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]

/**
 * The only environment a generated program sees: no API key, no token, nothing of the user's
 * beyond where to find interpreters (the system's PATH) and how to encode text; its HOME and
 * TMPDIR are its own directory. A tool the harness
 * runs itself (`ilo --version`) keeps the harness's PATH.
 */
const scrubbedEnv = (home: string, program: boolean): NodeJS.ProcessEnv => ({
  PATH: program ? DEFAULT_PATH : (process.env.PATH ?? DEFAULT_PATH),
  LANG: process.env.LANG ?? "C.UTF-8",
  HOME: home,
  // Its temp files (mktemp, tempfile) go in its own directory, removed with it, as a sandbox's go
  // in a /tmp of its own: not in the system's /tmp, left there after the run. The directory
  // itself rather than one inside it, so that what the program lists in its cwd is what a
  // sandboxed program lists.
  TMPDIR: home,
  [PROGRAM_MARK]: String(process.pid)
})

/**
 * The sandbox's work directory: its cwd and HOME, a fresh tmpfs. It is the path the model is shown
 * for every program (see loop/ScratchPath.ts), so a sandboxed program quotes it as it is, and a
 * recording made in one sandbox mode replays in the other.
 */
export const SANDBOX_WORK = "/tmp/ilo-bench"

/**
 * The sandbox's CPU-time limit for a run timeout, in seconds: a backstop only, never reached before
 * the wall-clock timeout. A process's threads (worker threads, a runtime's GC threads) together
 * use up to one CPU second per core each wall second, so the run timeout plus a second (as it was)
 * killed a program spinning on every core with SIGKILL before its time was up, recorded as a
 * failure with no output instead of a timeout. Two seconds more than the timeout on every core
 * cover a late timer on a loaded machine.
 */
export const cpuLimitSeconds = (timeoutMs: number) => Math.ceil((timeoutMs / 1000 + 2) * availableParallelism())

export const isSystemPath = (file: string) => SYSTEM_DIRS.some((dir) => file === dir || file.startsWith(`${dir}/`))

/**
 * bwrap's arguments for one program: new user, PID, network, IPC and UTS namespaces (no network at
 * all, not even loopback), the system read-only, a fresh tmpfs as /tmp and its /tmp/ilo-bench, a private /proc
 * and /dev, an empty environment but for PATH, HOME, TMPDIR and LANG, killed with its parent.
 * Inside, a shell sets the limits, says on fd 3 that the sandbox is up (so that a sandbox that
 * could not start is told apart from a program that failed), closes fds 3 to 5 and becomes the
 * program. fd 4 carries the program's source. An interpreter outside the system's directories is
 * mounted read-only at its own path, and nothing beside it.
 */
export const bwrapArgs = (
  limits: SandboxLimits,
  command: ReadonlyArray<string>,
  options: { readonly file?: string | undefined; readonly interpreter?: readonly [string, string] | undefined; readonly timeoutMs: number | null }
): Array<string> => {
  const args = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
  for (const dir of SYSTEM_DIRS) {
    let stat
    try {
      stat = lstatSync(dir)
    } catch {
      continue
    }
    // Merged /usr: /bin -> usr/bin stays a link.
    if (stat.isSymbolicLink()) args.push("--symlink", readlinkOf(dir), dir)
    else if (stat.isDirectory()) args.push("--ro-bind", dir, dir)
  }
  args.push("--proc", "/proc", "--dev", "/dev")
  for (const dir of ["/tmp", SANDBOX_WORK]) args.push("--size", String(limits.fileBytes), "--tmpfs", dir)
  if (options.file !== undefined) args.push("--file", "4", options.file)
  if (options.interpreter !== undefined) args.push("--ro-bind", options.interpreter[1], options.interpreter[0])
  args.push("--chdir", SANDBOX_WORK, "--clearenv")
  for (const [name, value] of [
    ["PATH", DEFAULT_PATH],
    ["HOME", SANDBOX_WORK],
    ["TMPDIR", "/tmp"],
    ["LANG", process.env.LANG ?? "C.UTF-8"]
  ] as const)
    args.push("--setenv", name, value)
  // dash's ulimit: -d KiB, -f 512-byte blocks, -p processes, -t CPU seconds.
  const limitsLine = [
    `ulimit -d ${Math.floor(limits.memoryBytes / 1024)}`,
    `ulimit -f ${Math.floor(limits.fileBytes / 512)}`,
    `ulimit -p ${limits.processes}`,
    ...(options.timeoutMs === null ? [] : [`ulimit -t ${cpuLimitSeconds(options.timeoutMs)}`]),
    "ulimit -c 0"
  ].join(" && ")
  args.push("/bin/sh", "-c", `${limitsLine} && printf up >&3 && exec 3>&- 4<&- && exec "$@"`, "sh", ...command)
  return args
}

const readlinkOf = (path: string) => {
  try {
    return readlinkSync(path)
  } catch {
    return path
  }
}

/**
 * Kills what programs of a program host left running outside their process groups (Linux: found by
 * their environment in /proc). Called as the host exits, and by the harness for a host that was
 * killed before it could; elsewhere there is nothing to read.
 */
export const sweepLeftovers = (hostPid: number = process.pid) => {
  const mark = `\0${PROGRAM_MARK}=${hostPid}\0`
  let pids: Array<string>
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name))
  } catch {
    return
  }
  for (const pid of pids) {
    try {
      if (("\0" + readFileSync(`/proc/${pid}/environ`, "latin1")).includes(mark)) process.kill(Number(pid), "SIGKILL")
    } catch {
      // gone, or not ours to read
    }
  }
}

const firstLine = (text: string) => text.split("\n").find((line) => line.trim() !== "")?.trim() ?? ""

const killGroup = (pid: number | undefined) => {
  if (pid === undefined) return
  try {
    process.kill(-pid, "SIGKILL")
  } catch {
    // already gone
  }
}

const capped = (onTruncate: () => void) => {
  const chunks: Array<Buffer> = []
  let size = 0
  return {
    push: (chunk: Buffer) => {
      if (size >= OUTPUT_CAP_BYTES) return onTruncate()
      const room = OUTPUT_CAP_BYTES - size
      if (chunk.length > room) onTruncate()
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
      chunks.push(kept)
      size += kept.length
    },
    text: () => Buffer.concat(chunks).toString("utf8")
  }
}

/**
 * A fresh, empty directory for one program: its cwd and HOME, removed afterwards with whatever the
 * program left in it. Synchronous calls: each is a few microseconds on a local disk, less than a
 * trip to libuv's thread pool would cost.
 */
const makeWorkDir = () => {
  try {
    return mkdtempSync(join(tmpdir(), "ilo-bench-"))
  } catch (error) {
    // A program removed the directory the work directories go in (its parent): made again.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
    mkdirSync(tmpdir(), { recursive: true, mode: 0o700 })
    return mkdtempSync(join(tmpdir(), "ilo-bench-"))
  }
}

/** Gives the owner back every directory under `dir` (a program may have made one unreadable). */
const unlockTree = (dir: string) => {
  try {
    chmodSync(dir, 0o700)
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) unlockTree(join(dir, entry.name))
  } catch {
    // gone, or not ours: the removal copes with what is left
  }
}

/** Removes a tree whatever a program did to it (chmod 000 included); never throws. */
export const removeTree = (dir: string) => {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2 })
    return
  } catch {
    unlockTree(dir)
  }
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2 })
  } catch {
    // nothing more to do: a temp directory we cannot remove is left to the system
  }
}

const removeWorkDir = (dir: string, file: string | undefined) => {
  if (file !== undefined) {
    try {
      unlinkSync(file)
    } catch {
      // the program removed it; the directory's removal copes with the rest
    }
  }
  try {
    rmdirSync(dir)
  } catch {
    // not empty (what the program wrote): remove it all
    removeTree(dir)
  }
}

/**
 * Starts the request's process in a fresh directory, in its own process group, collecting capped
 * output; kills the whole group on timeout, when the process exits (a grandchild would hold the
 * pipes open), or when the returned cancel function is called. `done` is called once, after the
 * directory is removed, unless the run was cancelled.
 */
export const startProcess = (request: ProcessRequest, done: (outcome: ProcessOutcome) => void): (() => void) => {
  const [first] = request.command
  if (first === undefined || first === "") {
    done({ spawnError: { command: "", message: "empty command line" } })
    return () => {}
  }
  // Node's own message for it names an argument by position.
  if (request.command.some((part) => part.includes("\0")) || request.program?.extension.includes("\0") === true) {
    done({ spawnError: { command: first, message: "the command line or the program's extension holds a NUL byte" } })
    return () => {}
  }
  const sandbox = request.sandbox
  const dir = sandbox === undefined ? makeWorkDir() : undefined
  let file: string | undefined
  let child: ReturnType<typeof spawn>
  let bin = first
  /** Whether the sandbox said it was up (always, without one). */
  let up = sandbox === undefined
  const started = performance.now()
  try {
    if (sandbox === undefined) {
      const workDir = dir!
      if (request.program !== undefined) {
        file = join(workDir, `program${request.program.extension}`)
        writeFileSync(file, request.program.source)
      }
      const path = file
      const [command, ...args] = request.command.map((part) => (path === undefined ? part : part.replaceAll("{file}", path)))
      bin = command!
      // The program runs in its own directory: a relative binary path means relative to ours.
      child = spawn(bin.includes("/") ? resolve(bin) : bin, args, {
        cwd: workDir,
        env: scrubbedEnv(workDir, request.program !== undefined),
        detached: true,
        stdio: ["ignore", "pipe", "pipe"]
      })
    } else {
      const inside = request.program === undefined ? undefined : posix.join(SANDBOX_WORK, `program${request.program.extension}`)
      const [command, ...args] = request.command.map((part) => (inside === undefined ? part : part.replaceAll("{file}", inside)))
      bin = command!
      // An interpreter that is not there is the harness's to report, as spawn reports it without a sandbox.
      if (bin.startsWith("/")) {
        try {
          accessSync(bin, constants.X_OK)
        } catch (error) {
          throw new Error(`spawn ${bin} ${(error as NodeJS.ErrnoException).code ?? "ENOENT"}`)
        }
      }
      const outside = bin.startsWith("/") && !isSystemPath(bin)
      const interpreter = outside ? (sandbox.interpreters?.find(([at]) => at === bin) ?? ([bin, bin] as const)) : undefined
      const stdio: StdioOptions = ["ignore", "pipe", "pipe", "pipe", "pipe"]
      child = spawn(sandbox.bwrap, bwrapArgs(sandbox.limits, [bin, ...args], { file: inside, interpreter, timeoutMs: request.timeoutMs }), {
        // bwrap needs nothing of ours: not our directory, not our environment.
        cwd: "/",
        env: {},
        detached: true,
        stdio,
        ...(sandbox.runAs ?? {})
      })
      const signal = child.stdio[3] as Readable | null | undefined
      const source = child.stdio[4] as Writable | null | undefined
      signal?.on("data", () => (up = true))
      signal?.on("error", () => {})
      source?.on("error", () => {})
      source?.end(request.program?.source ?? "")
    }
  } catch (error) {
    if (dir !== undefined) removeWorkDir(dir, file)
    throw error
  }
  let finished = false
  let exitedAt: number | undefined
  let drain: NodeJS.Timeout | undefined
  const finish = (outcome: ProcessOutcome | undefined) => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    clearTimeout(drain)
    if (dir !== undefined) removeWorkDir(dir, file)
    if (outcome !== undefined) done(outcome)
  }
  let truncated = false
  const out = capped(() => (truncated = true))
  const err = capped(() => (truncated = true))
  // First, so that a spawn that failed (no streams, then an error event: EMFILE) is answered.
  child.on("error", (error) => finish({ spawnError: { command: bin, message: error.message } }))
  child.stdout?.on("data", out.push)
  child.stderr?.on("data", err.push)
  let timedOut = false
  const limit = request.timeoutMs === null ? null : timerMillis(request.timeoutMs)
  const timer =
    limit === null
      ? undefined
      : setTimeout(() => {
          timedOut = true
          killGroup(child.pid)
        }, limit)
  child.on("exit", () => {
    exitedAt = performance.now()
    killGroup(child.pid)
    // What the program wrote is in the pipes by now; whoever still holds them open is not the program.
    drain = setTimeout(() => {
      child.stdout?.destroy()
      child.stderr?.destroy()
    }, EXIT_DRAIN_MS)
  })
  child.on("close", (code) =>
    finish(
      // bwrap could not set the sandbox up: the harness's failure, in bwrap's words.
      !up && !timedOut
        ? { spawnError: { command: "bwrap", message: firstLine(err.text()) || `exited ${code}` } }
        : {
            run: {
              stdout: out.text(),
              stderr: err.text(),
              exitCode: timedOut ? null : code,
              durationMs: Math.round((exitedAt ?? performance.now()) - started),
              timedOut,
              outputTruncated: truncated
            }
          }
    )
  )
  return () => {
    killGroup(child.pid)
    finish(undefined)
  }
}
