import { Effect } from "effect"
import { constants } from "node:fs"
import { open } from "node:fs/promises"

const MiB = 1024 * 1024

/** The most of an input file read by default: tasks files, docs and catalogs are kilobytes. */
export const MAX_INPUT_BYTES = 64 * MiB

/** The most of a saved record read (a checkpoint, a report, a cassette): a large sweep's, well below a string's limit. */
export const MAX_RECORD_BYTES = 256 * MiB

/**
 * A text file of at most `maxBytes`, or the caller's own error with a one-line reason ("not found"
 * for a missing file, the system's message otherwise), so every input file fails the same way.
 * Only a regular file is read: a device (`/dev/zero`) would be read without end, and a FIFO
 * would wait for a writer forever (it is opened without waiting, to be told apart).
 */
export const readText = <E>(file: string, fail: (reason: string) => E, maxBytes: number = MAX_INPUT_BYTES): Effect.Effect<string, E> =>
  Effect.tryPromise({
    try: async () => {
      const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
      try {
        const stat = await handle.stat()
        if (stat.isDirectory()) return { refused: "is a directory, not a file" }
        if (!stat.isFile()) return { refused: "is not a regular file (a device or a pipe is not read)" }
        if (stat.size > maxBytes) return { refused: `is larger than ${maxBytes / MiB} MiB (${(stat.size / MiB).toFixed(1)} MiB)` }
        // One byte more than allowed, in case it grew since: then it is refused as well.
        const buffer = Buffer.alloc(Math.min(maxBytes, stat.size) + 1)
        let length = 0
        for (;;) {
          const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
          if (bytesRead === 0) break
          length += bytesRead
          if (length === buffer.length) break
        }
        if (length > maxBytes) return { refused: `is larger than ${maxBytes / MiB} MiB` }
        return { text: buffer.toString("utf8", 0, length) }
      } finally {
        await handle.close()
      }
    },
    catch: (error) => fail((error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (error as Error).message)
  }).pipe(Effect.flatMap((read) => ("text" in read ? Effect.succeed(read.text) : Effect.fail(fail(read.refused)))))
