import { FileSystem, Path } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { spawn } from "node:child_process"
import { resolve } from "node:path"
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

export const ProgramRunnerLive = Layer.effect(
  ProgramRunner,
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const tempDir = Effect.acquireRelease(
      fs.makeTempDirectory({ prefix: "ilo-bench-" }).pipe(Effect.orDie),
      (dir) => fs.remove(dir, { recursive: true }).pipe(Effect.ignore)
    )
    return ProgramRunner.make({
      exec: (command, timeout) =>
        Effect.scoped(Effect.flatMap(tempDir, (dir) => spawnCapture(command, dir, dir, timeout))),
      run: (program, timeout) =>
        Effect.scoped(
          Effect.gen(function* () {
            const dir = yield* tempDir
            const file = path.join(dir, `program${program.extension}`)
            yield* fs.writeFileString(file, program.source).pipe(Effect.orDie)
            const command = program.command.map((part) => part.replaceAll("{file}", file))
            return yield* spawnCapture(command, dir, dir, timeout)
          })
        )
    })
  })
).pipe(Layer.provide(NodeContext.layer))
