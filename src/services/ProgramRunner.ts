import { spawn } from "node:child_process"
import { mkdtempSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Context, Data, Duration, Effect, Layer } from "effect"

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

/** Captured stdout and stderr stop growing here, so a program that prints forever cannot exhaust memory. */
export const OUTPUT_CAP_BYTES = 1024 * 1024

export class ProgramRunner extends Context.Tag("ilo-bench/ProgramRunner")<
  ProgramRunner,
  {
    /** Runs a command line with a time limit, in a scrubbed environment. */
    readonly exec: (
      command: ReadonlyArray<string>,
      timeout: Duration.Duration
    ) => Effect.Effect<ProgramRun, SpawnError>
    /** Writes a program into a fresh temp directory, runs it there, removes the directory. */
    readonly run: (program: ProgramSource, timeout: Duration.Duration) => Effect.Effect<ProgramRun, SpawnError>
  }
>() {
  static make = (impl: Context.Tag.Service<ProgramRunner>): Context.Tag.Service<ProgramRunner> => impl
}

/**
 * The only environment a generated program sees: no API key, no token, nothing of the user's
 * beyond where to find interpreters and how to encode text.
 */
const scrubbedEnv = (home: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
  LANG: process.env.LANG ?? "C.UTF-8",
  HOME: home
})

const killGroup = (pid: number | undefined) => {
  if (pid === undefined) return
  try {
    process.kill(-pid, "SIGKILL")
  } catch {
    // already gone
  }
}

/** Spawns a process in its own group and collects capped output; kills the whole group on timeout or interruption. */
const spawnCapture = (
  command: ReadonlyArray<string>,
  cwd: string,
  home: string,
  timeout: Duration.Duration
): Effect.Effect<ProgramRun, SpawnError> =>
  Effect.async<ProgramRun, SpawnError>((resume) => {
    const [bin, ...args] = command
    if (bin === undefined || bin === "") {
      resume(Effect.fail(new SpawnError({ command: "", message: "empty command line" })))
      return
    }
    const started = performance.now()
    // The program runs in its own directory: a relative binary path means relative to ours.
    const child = spawn(bin.includes("/") ? resolve(bin) : bin, args, {
      cwd,
      env: scrubbedEnv(home),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let truncated = false
    const collect = () => {
      const chunks: Array<Buffer> = []
      let size = 0
      return {
        push: (chunk: Buffer) => {
          if (size >= OUTPUT_CAP_BYTES) {
            truncated = true
            return
          }
          const room = OUTPUT_CAP_BYTES - size
          if (chunk.length > room) truncated = true
          const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
          chunks.push(kept)
          size += kept.length
        },
        text: () => Buffer.concat(chunks).toString("utf8")
      }
    }
    const out = collect()
    const err = collect()
    child.stdout.on("data", out.push)
    child.stderr.on("data", err.push)
    let timedOut = false
    let done = false
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child.pid)
    }, Duration.toMillis(timeout))
    child.on("error", (error) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(Effect.fail(new SpawnError({ command: bin, message: error.message })))
    })
    // A grandchild that outlives its parent would hold the pipes open: take the group down with it.
    child.on("exit", () => killGroup(child.pid))
    child.on("close", (code) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(
        Effect.succeed({
          stdout: out.text(),
          stderr: err.text(),
          exitCode: timedOut ? null : code,
          durationMs: Math.round(performance.now() - started),
          timedOut,
          outputTruncated: truncated
        })
      )
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      killGroup(child.pid)
    })
  })

const unlinkQuietly = (file: string) => {
  try {
    unlinkSync(file)
  } catch {
    // already gone (the program removed it); the directory's removal copes with the rest
  }
}

/**
 * A fresh, empty directory for one program: the program's cwd and HOME, removed afterwards with
 * whatever the program left in it. Plain synchronous node:fs calls (each a few microseconds on a
 * local disk): through an async file system every one of them is a trip to libuv's thread pool,
 * which cost more CPU per run than the calls themselves.
 */
const workDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "ilo-bench-"))),
  (dir) =>
    Effect.sync(() => {
      try {
        rmdirSync(dir)
      } catch {
        // not empty (the program file, or what the program wrote): remove it all
        try {
          rmSync(dir, { recursive: true, force: true, maxRetries: 2 })
        } catch {
          // nothing more to do: a temp directory we cannot remove is left to the system
        }
      }
    })
)

export const ProgramRunnerLive = Layer.succeed(
  ProgramRunner,
  ProgramRunner.make({
    exec: (command, timeout) => Effect.scoped(Effect.flatMap(workDir, (dir) => spawnCapture(command, dir, dir, timeout))),
    run: (program, timeout) =>
      Effect.scoped(
        Effect.flatMap(workDir, (dir) => {
          const file = join(dir, `program${program.extension}`)
          return Effect.sync(() => writeFileSync(file, program.source)).pipe(
            // The program file goes first, so that an empty directory needs a single rmdir.
            Effect.zipRight(Effect.addFinalizer(() => Effect.sync(() => unlinkQuietly(file)))),
            Effect.zipRight(spawnCapture(program.command.map((part) => part.replaceAll("{file}", file)), dir, dir, timeout))
          )
        })
      )
  })
)
