import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { OutputError } from "../domain/errors.js"

/** The file names of one run's reports, sharing one stamp. */
export interface ReportPaths {
  readonly stamp: string
  readonly json: string
  readonly md: string
}

const EXTENSIONS = [".json", ".md", ".jsonl", ".html"] as const

/**
 * Claims a stamp no earlier run used: closed-loop-<date>, then -2, -3, ...; the JSON file is
 * created exclusively, so two runs started at once cannot take the same one. Creates the directory.
 */
export const claimReportPaths = (dir: string, date: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const fail = (target: string) => (e: { message: string }) => new OutputError({ path: target, reason: e.message })
    yield* fs.makeDirectory(dir, { recursive: true }).pipe(Effect.mapError(fail(dir)))
    for (let n = 1; ; n++) {
      const stamp = n === 1 ? `closed-loop-${date}` : `closed-loop-${date}-${n}`
      const base = path.join(dir, stamp)
      const taken = yield* Effect.forEach(EXTENSIONS, (ext) => fs.exists(base + ext)).pipe(Effect.mapError(fail(base)))
      if (taken.some(Boolean)) continue
      const claimed = yield* fs.open(base + ".json", { flag: "wx" }).pipe(
        Effect.scoped,
        Effect.as(true),
        Effect.catchIf(
          (e) => e._tag === "SystemError" && e.reason === "AlreadyExists",
          () => Effect.succeed(false)
        ),
        Effect.mapError(fail(base + ".json"))
      )
      if (claimed) return { stamp, json: base + ".json", md: base + ".md" } satisfies ReportPaths
    }
  })

/** Writes beside the target and renames over it, so a reader never sees half a report. */
export const writeAtomically = (target: string, text: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const temp = `${target}.${process.pid}.tmp`
    yield* fs.writeFileString(temp, text)
    yield* fs.rename(temp, target)
  }).pipe(Effect.mapError((e) => new OutputError({ path: target, reason: e.message })))
