import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { timerMillis } from "../platform/timer.js"

/**
 * Running one generated program as a process: plain Node, no Effect, so that the small program
 * host process (src/programHost.ts) can load it without the rest of the harness.
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

/** Where interpreters are looked for when the harness itself was started without a PATH. */
export const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"

/**
 * The only environment a generated program sees: no API key, no token, nothing of the user's
 * beyond where to find interpreters and how to encode text.
 */
const scrubbedEnv = (home: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? DEFAULT_PATH,
  LANG: process.env.LANG ?? "C.UTF-8",
  HOME: home,
  [PROGRAM_MARK]: String(process.pid)
})

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
const makeWorkDir = () => mkdtempSync(join(tmpdir(), "ilo-bench-"))

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
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 })
    } catch {
      // nothing more to do: a temp directory we cannot remove is left to the system
    }
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
  const dir = makeWorkDir()
  let file: string | undefined
  let child: ReturnType<typeof spawn>
  let bin = first
  const started = performance.now()
  try {
    if (request.program !== undefined) {
      file = join(dir, `program${request.program.extension}`)
      writeFileSync(file, request.program.source)
    }
    const path = file
    const [command, ...args] = request.command.map((part) => (path === undefined ? part : part.replaceAll("{file}", path)))
    bin = command!
    // The program runs in its own directory: a relative binary path means relative to ours.
    child = spawn(bin.includes("/") ? resolve(bin) : bin, args, {
      cwd: dir,
      env: scrubbedEnv(dir),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"]
    })
  } catch (error) {
    removeWorkDir(dir, file)
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
    removeWorkDir(dir, file)
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
    finish({
      run: {
        stdout: out.text(),
        stderr: err.text(),
        exitCode: timedOut ? null : code,
        durationMs: Math.round((exitedAt ?? performance.now()) - started),
        timedOut,
        outputTruncated: truncated
      }
    })
  )
  return () => {
    killGroup(child.pid)
    finish(undefined)
  }
}
