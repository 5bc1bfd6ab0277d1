import { FileSystem, Path } from "@effect/platform"
import { Effect, Either } from "effect"
import { MAX_RECORD_BYTES, readText } from "../platform/readText.js"
import { decodeResults, ResultsFileError, type Source } from "../report/Sweep.js"

/** Reads and decodes saved results; a missing or foreign file is the user's input error (exit 2). */
export const readSource = (file: string) =>
  Effect.gen(function* () {
    const text = yield* readText(file, (reason) => new ResultsFileError({ file, reason }), MAX_RECORD_BYTES)
    const decoded = decodeResults(file, text)
    if (Either.isLeft(decoded)) return yield* decoded.left
    for (const warning of decoded.right.warnings ?? []) yield* Effect.logWarning(warning)
    return decoded.right
  })

export const readSources = (files: ReadonlyArray<string>) =>
  Effect.forEach(files, readSource) as Effect.Effect<ReadonlyArray<Source>, ResultsFileError, FileSystem.FileSystem>

/** A file's name without its directory and extension. */
export const stem = (path: Path.Path, file: string) => path.basename(file).replace(/\.(jsonl?|JSONL?)$/, "")
