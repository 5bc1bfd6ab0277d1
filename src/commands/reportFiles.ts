import { FileSystem, Path } from "@effect/platform"
import { Effect, Either } from "effect"
import { MAX_RECORD_BYTES, readText } from "../platform/readText.js"
import { decodeResults, readCheckpointSource, ResultsFileError, type Source } from "../report/Sweep.js"

/** Reads and decodes saved results; a missing or foreign file is the user's input error (exit 2). */
export const readSource = (file: string) =>
  Effect.gen(function* () {
    // A checkpoint is read line by line and its runs held as a report of a run holds them: one of 100,000 runs is about 200 MB.
    if (file.endsWith(".jsonl")) return yield* warned(yield* readCheckpointSource(file))
    const text = yield* readText(file, (reason) => new ResultsFileError({ file, reason }), MAX_RECORD_BYTES)
    const decoded = decodeResults(file, text)
    if (Either.isLeft(decoded)) return yield* decoded.left
    return yield* warned(decoded.right)
  })

const warned = (source: Source) => Effect.as(Effect.forEach(source.warnings ?? [], (warning) => Effect.logWarning(warning), { discard: true }), source)

export const readSources = (files: ReadonlyArray<string>) =>
  Effect.forEach(files, readSource) as Effect.Effect<ReadonlyArray<Source>, ResultsFileError, FileSystem.FileSystem>

/** A file's name without its directory and extension. */
export const stem = (path: Path.Path, file: string) => path.basename(file).replace(/\.(jsonl?|JSONL?)$/, "")
