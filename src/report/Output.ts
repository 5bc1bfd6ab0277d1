import { FileSystem, Path } from "@effect/platform"
import { Effect, Exit } from "effect"
import { makeDirectories } from "../platform/directories.js"
import { OutputError } from "../domain/errors.js"
import { removeOnExitNow } from "../platform/exitNow.js"

/** The files of one benchmark, sharing one stamp: its checkpoint and its reports. */
export interface ReportPaths {
  readonly stamp: string
  readonly json: string
  readonly md: string
  readonly jsonl: string
  readonly html: string
}

const EXTENSIONS = [".json", ".md", ".jsonl", ".html"] as const

/**
 * Why a file could not be written, once: the platform's message repeats the path twice around
 * the system's ("PermissionDenied: FileSystem.open (F): EACCES: permission denied, open 'F'"),
 * after the error line has named it already. "permission denied (EACCES)".
 */
export const writeFailure = (e: { readonly message: string; readonly cause?: unknown }): string => {
  const system = e.cause instanceof Error ? /^(E[A-Z]+): ([^,]+)/.exec(e.cause.message) : null
  return system !== null ? `${system[2]} (${system[1]})` : e.message
}

/** Every file of a stamp, named in this one place. */
export const reportPaths = (dir: string, stamp: string, path: Path.Path): ReportPaths => {
  const base = path.join(dir, stamp)
  return { stamp, json: base + ".json", md: base + ".md", jsonl: base + ".jsonl", html: base + ".html" }
}

/** The files that belong with an existing checkpoint: same directory, same stamp. */
export const reportPathsOfCheckpoint = (checkpoint: string, path: Path.Path): ReportPaths =>
  reportPaths(path.dirname(checkpoint), path.basename(checkpoint).replace(/\.jsonl$/, ""), path)

/** Makes the directory reports go to, or fails with one line saying why. */
export const outputDirectory = (dir: string): Effect.Effect<void, OutputError> =>
  Effect.suspend(() => {
    const made = makeDirectories(dir)
    return made.ok ? Effect.void : Effect.fail(new OutputError({ path: dir, reason: made.reason }))
  })

/**
 * Claims a stamp no earlier run used, at the start of a run: closed-loop-<date>, then -2, -3, ...;
 * the checkpoint (.jsonl) is created exclusively, so two runs started at once cannot take the same
 * one. Creates the directory.
 */
export const claimReportPaths = (dir: string, date: string, suffix = "") =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const fail = (target: string) => (e: { message: string; cause?: unknown }) => new OutputError({ path: target, reason: writeFailure(e) })
    yield* outputDirectory(dir)
    for (let n = 1; ; n++) {
      const stamp = n === 1 ? `closed-loop-${date}${suffix}` : `closed-loop-${date}${suffix}-${n}`
      const base = path.join(dir, stamp)
      const taken = yield* Effect.forEach(EXTENSIONS, (ext) => fs.exists(base + ext)).pipe(Effect.mapError(fail(base)))
      if (taken.some(Boolean)) continue
      const paths = reportPaths(dir, stamp, path)
      const claimed = yield* fs.open(paths.jsonl, { flag: "wx" }).pipe(
        Effect.scoped,
        Effect.as(true),
        Effect.catchIf(
          (e) => e._tag === "SystemError" && e.reason === "AlreadyExists",
          () => Effect.succeed(false)
        ),
        Effect.mapError(fail(paths.jsonl))
      )
      if (claimed) return paths
    }
  })

/** About this many characters go to the file per write. */
const WRITE_SIZE = 1 << 16

/** The parts joined into pieces of about `size` characters: a few large writes, not one per part. */
function* joined(parts: Iterable<string>, size: number) {
  let pending: Array<string> = []
  let length = 0
  for (const part of parts) {
    pending.push(part)
    length += part.length
    if (length >= size) {
      yield pending.join("")
      pending = []
      length = 0
    }
  }
  if (length > 0) yield pending.join("")
}

/**
 * Writes beside the target and renames over it, so a reader never sees half a report. The text
 * may come in parts (a report of every run, result by result): they are written as they come, and
 * the whole text is never held at once.
 */
export const writeAtomically = (target: string, text: string | Iterable<string>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const temp = `${target}.${process.pid}.tmp`
    removeOnExitNow.add(temp)
    yield* Effect.scoped(
      Effect.gen(function* () {
        const file = yield* fs.open(temp, { flag: "w" })
        for (const piece of joined(typeof text === "string" ? [text] : text, WRITE_SIZE))
          yield* file.writeAll(Buffer.from(piece, "utf8"))
      })
    ).pipe(
      Effect.zipRight(fs.rename(temp, target)),
      // A write that failed (a full disk, a directory where the report goes) or was interrupted leaves no temp file.
      Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : fs.remove(temp, { force: true }).pipe(Effect.ignore)))
    )
  }).pipe(
    Effect.ensuring(Effect.sync(() => removeOnExitNow.delete(`${target}.${process.pid}.tmp`))),
    Effect.mapError((e) => new OutputError({ path: target, reason: writeFailure(e) }))
  )

/**
 * Temp files a report write left when the process was killed mid-write (kill -9, or a second Ctrl-C
 * racing a write): a resume of that stamp removes them.
 */
export const removeStaleWrites = (paths: ReportPaths) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = path.dirname(paths.json)
    const names = yield* fs.readDirectory(dir)
    const stale = names.filter((n) => n.startsWith(`${paths.stamp}.`) && /\.\d+\.tmp$/.test(n))
    yield* Effect.forEach(stale, (n) => fs.remove(path.join(dir, n)), { discard: true })
  }).pipe(Effect.ignore)

