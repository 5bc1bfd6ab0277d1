import { FileSystem } from "@effect/platform"
import { Effect } from "effect"

/**
 * A text file, or the caller's own error with a one-line reason ("not found" for a missing file,
 * the system's message otherwise), so every input file fails the same way.
 */
export const readText = <E>(file: string, fail: (reason: string) => E) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.readFileString(file).pipe(
      Effect.mapError((e) => fail(e._tag === "SystemError" && e.reason === "NotFound" ? "not found" : e.message))
    )
  )
