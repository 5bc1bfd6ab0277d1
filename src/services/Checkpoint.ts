import { FileSystem } from "@effect/platform"
import * as nodeFs from "node:fs"
import { dirname } from "node:path"
import { Context, Effect, Either, Layer, Schema, type Scope } from "effect"
import { CassetteLine } from "../domain/Cassette.js"
import {
  CheckpointHeader,
  CheckpointLine,
  type CheckpointContents,
  type CheckpointReply,
  type CheckpointResume,
  type CheckpointStarted,
  type CheckpointBatch,
  type CheckpointCount
} from "../domain/Checkpoint.js"
import { CheckpointError, OutputError } from "../domain/errors.js"
import type { RunResult } from "../domain/Result.js"
import { decodeKeepingUnknownFields } from "../domain/decodeKeeping.js"
import { firstIssue } from "../domain/schemaIssue.js"
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../domain/limits.js"
import { wholeLines } from "../domain/text.js"
import { makeDirectories } from "../platform/directories.js"
import { removeOnExitNow } from "../platform/exitNow.js"
import { isRunning } from "../platform/pids.js"
import { loadSigningKey, newSigningKey, signature, signingKeyPath, type SigningKey } from "../platform/checkpointKeys.js"

/** Where a line is in a checkpoint file: its first byte and its length in bytes, newline included. */
export interface LineAt {
  readonly offset: number
  readonly length: number
}

/** Appends lines to one open checkpoint; each is in the file before `append` returns. */
export interface CheckpointWriter {
  readonly path: string
  readonly append: (line: CheckpointLine) => Effect.Effect<void, OutputError>
  /** The same, saying where in the file the line went, so that it can be read back instead of kept (a writer in memory may not). */
  readonly appendLocated?: ((line: CheckpointLine) => Effect.Effect<LineAt, OutputError>) | undefined
  /** The file is at its path (written again there if it was removed or moved): before a message names it. */
  readonly ensure: Effect.Effect<void, OutputError>
}

/**
 * The checkpoint of a benchmark: a JSON-lines file holding a header, then every model reply as it
 * lands and every run as it finishes, so that nothing paid for is lost to a crash or an interrupt.
 */
export class Checkpoint extends Context.Tag("ilo-bench/Checkpoint")<
  Checkpoint,
  {
    /** Writes the header into a new (empty) checkpoint and keeps it open for appends until the scope closes. */
    readonly begin: (path: string, header: CheckpointHeader) => Effect.Effect<CheckpointWriter, OutputError | CheckpointError, Scope.Scope>
    /** Reopens a checkpoint read earlier, cutting a torn last line, to append to it. */
    readonly reopen: (
      path: string,
      contents: CheckpointContents
    ) => Effect.Effect<CheckpointWriter, OutputError | CheckpointError, Scope.Scope>
    /**
     * Reads a checkpoint back; a torn last line is ignored with a warning. Given `visit`, its run,
     * reply and program lines are handed over as they are read, each with its place in the file
     * where it has one, instead of kept (a resume holds what it needs of them, not every record).
     */
    readonly read: (path: string, visit?: LineVisitor) => Effect.Effect<CheckpointContents, CheckpointError>
  }
>() {
  static make = (impl: Context.Tag.Service<Checkpoint>): Context.Tag.Service<Checkpoint> => impl
}

/** How long a line written to the checkpoint may wait for the disk (fdatasync). */
const SYNC_EVERY_MS = 1000

export const encodeLine = (line: CheckpointHeader | CheckpointLine) => JSON.stringify(line) + "\n"

/** Where a signed line carries its signature: the last field, so that the line before it is exactly what was signed. */
const SIGNED = /,"mac":"([0-9a-f]{64})"\}$/

/** The line as JSON with its signature as a last field, `mac`, chained to the line before it. */
const signedLine = (text: string, key: Buffer, previous: string) => {
  const mac = signature(key, previous, text)
  return { text: `${text.slice(0, -1)},"mac":"${mac}"}`, mac }
}

/** A line's own text and signature, when it carries one. */
const unsign = (raw: string): { readonly text: string; readonly mac: string } | undefined => {
  const found = SIGNED.exec(raw)
  return found === null ? undefined : { text: raw.slice(0, found.index) + "}", mac: found[1]! }
}

/** The key a checkpoint's header line names for signing its lines, if it is a header that names one. */
export const headerSigningKey = (line: string): string | undefined => {
  const json = parseJson(unsign(line)?.text ?? line)
  if (Either.isLeft(json) || typeof json.right !== "object" || json.right === null) return undefined
  const id = (json.right as { signing_key?: unknown }).signing_key
  return typeof id === "string" ? id : undefined
}

/** A run's identity within one checkpoint (as loop/Plan's runKey, which this layer must not import). */
const runOf = (line: { readonly task: string; readonly language: string; readonly model: string; readonly trial?: number | undefined }) =>
  `${line.task}\u0000${line.language}\u0000${line.model}\u0000${line.trial ?? 1}`

const decodeHeader = Schema.decodeUnknownEither(CheckpointHeader, { onExcessProperty: "preserve" })
/** Fields a later ilo-bench added are kept (onExcessProperty "preserve"), through the faster decode that gives the same. */
const decodeLine = decodeKeepingUnknownFields(CheckpointLine)


const parseJson = (text: string): Either.Either<unknown, string> => {
  try {
    const json: unknown = JSON.parse(text)
    return nestedDeeperThan(json) ? Either.left(`nests deeper than ${MAX_JSON_DEPTH} levels`) : Either.right(json)
  } catch (e) {
    return Either.left(`not JSON (${(e as Error).message})`)
  }
}

/**
 * A checkpoint's text, read back. A line counts only once its newline is written: an unterminated
 * last line is what a crash leaves, and is ignored. Any other bad line means the file is not ours.
 */
export const parseCheckpoint = (
  path: string,
  text: string,
  /** keyOf given, a signed checkpoint's lines are verified with the key its header names (none: its lines are taken as they are). */
  options: ParseOptions = {}
): Either.Either<CheckpointContents, CheckpointError> => {
  const { lines, tornLine, validBytes } = wholeLines(text)
  return parseCheckpointLines(path, { lines: lines.map((line) => ({ text: line })), end: () => ({ tornLine, validBytes }) }, options)
}

/** A line of a checkpoint: its text without its newline and, read from a file, where it is there. */
export interface TextLine {
  readonly text: string
  readonly at?: LineAt | undefined
}

/** A checkpoint's complete lines, and once they are read, what followed the last of them. */
export interface CheckpointLines {
  readonly lines: Iterable<TextLine>
  /** After `lines`: a last line without its newline (its 1-based number, or null), and the bytes of the complete lines. */
  readonly end: () => { readonly tornLine: number | null; readonly validBytes: number }
}

/** What reading a checkpoint hands over line by line instead of keeping (each with its place, read from a file). */
export interface LineVisitor {
  /** Each run line's record; `runs` is then empty. */
  readonly onRun?: ((result: RunResult, at: LineAt | undefined) => void) | undefined
  /** Each reply line; `replies` is then empty. */
  readonly onReply?: ((reply: CheckpointReply, at: LineAt | undefined) => void) | undefined
  /** Each program's "started" and "ended" line; `started` is then empty. */
  readonly onProgram?: ((line: CheckpointStarted) => void) | undefined
}

export interface ParseOptions extends LineVisitor {
  /** Given, a signed checkpoint's lines are verified with the key its header names (none: its lines are taken as they are). */
  readonly keyOf?: ((id: string) => SigningKey | undefined) | undefined
  /**
   * Whether the lines no callback takes are kept (replies, programs, batches, counts). By default
   * only without `onRun`: a report of the runs needs none of them; a resume says true.
   */
  readonly keepRest?: boolean | undefined
  /** A line left out for its signature must still be a checkpoint record, as it must be read without the key. */
  readonly refusedMustParse?: boolean | undefined
}

const isCassetteLine = Schema.decodeUnknownEither(Schema.parseJson(CassetteLine))

/** The checkpoint of these lines (parseCheckpoint's, line by line). */
export const parseCheckpointLines = (
  path: string,
  { lines: all, end }: CheckpointLines,
  { keyOf, onRun, onReply, onProgram, keepRest = onRun === undefined, refusedMustParse = false }: ParseOptions = {}
): Either.Either<CheckpointContents, CheckpointError> => {
  const fail = (reason: string) => Either.left(new CheckpointError({ path, reason }))
  const complete = all[Symbol.iterator]()
  const firstLine = complete.next()
  if (firstLine.done === true) return fail(end().tornLine === null ? "is empty" : "its header line was cut short")
  const first = firstLine.value.text
  const header = Either.flatMap(parseJson(unsign(first)?.text ?? first), (json) => Either.mapLeft(decodeHeader(json), firstIssue))
  if (Either.isLeft(header))
    // Both are .jsonl: a --record output given where a checkpoint goes is named as what it is.
    return fail(
      Either.isRight(isCassetteLine(first))
        ? `line 1 is a cassette's (a --record output), not a checkpoint header: replay it with \`run --replay ${path}\``
        : `line 1 is not a checkpoint header (${header.left})`
    )
  const keyId = header.right.signing_key
  let chain: { readonly key: SigningKey; last: string } | null = null
  if (keyOf !== undefined && keyId !== undefined) {
    const key = keyOf(keyId)
    if (key === undefined)
      return fail(`its lines are signed with a key this machine does not have (${signingKeyPath(keyId)}): copy that file along with the checkpoint`)
    const signed = unsign(first)
    if (signed === undefined || signature(key.key, key.id, signed.text) !== signed.mac)
      return fail("its header was not written by the ilo-bench that began it (its signature does not match)")
    chain = { key, last: signed.mac }
  }
  const runs: Array<RunResult> = []
  const replies: Array<CheckpointReply> = []
  const resumes: Array<CheckpointResume> = []
  const started: Array<CheckpointStarted> = []
  const batches: Array<CheckpointBatch> = []
  const counts: Array<CheckpointCount> = []
  const refusedLines: Array<number> = []
  // Requests asked and not yet answered, by run then attempt. A reply answers its attempt; a run's
  // line ends whatever it had asked (an API error that outlived its retries was an answer too). What
  // is still open when a session ends (a resume line, the end of the file) was in flight then.
  const asked = new Map<string, Set<number>>()
  let unanswered = 0
  const sessionEnded = () => {
    for (const attempts of asked.values()) unanswered += attempts.size
    asked.clear()
  }
  let i = -1
  for (let next = complete.next(); next.done !== true; next = complete.next()) {
    i++
    const written = next.value.text
    let raw = written
    if (chain !== null) {
      // A line not signed in the chain was not written by this benchmark's harness: left out.
      const signed = unsign(written)
      if (signed === undefined || signature(chain.key.key, chain.last, signed.text) !== signed.mac) {
        if (refusedMustParse) {
          const line = Either.flatMap(parseJson(written), (json) => Either.mapLeft(decodeLine(json), firstIssue))
          if (Either.isLeft(line)) return fail(`line ${i + 2} is not a checkpoint record (${line.left})`)
        }
        refusedLines.push(i + 2)
        continue
      }
      chain.last = signed.mac
      raw = signed.text
    }
    const line = Either.flatMap(parseJson(raw), (json) => Either.mapLeft(decodeLine(json), firstIssue))
    if (Either.isLeft(line)) return fail(`line ${i + 2} is not a checkpoint record (${line.left})`)
    const record = line.right
    if (record.type === "run") {
      if (onRun === undefined) runs.push(record.result)
      else onRun(record.result, next.value.at)
      asked.delete(runOf(record.result))
    } else if (record.type === "reply") {
      if (onReply !== undefined) onReply(record, next.value.at)
      else if (keepRest) replies.push(record)
      asked.get(runOf(record))?.delete(record.attempt)
    } else if (record.type === "asked") {
      const attempts = asked.get(runOf(record)) ?? new Set<number>()
      asked.set(runOf(record), attempts.add(record.attempt))
    } else if (record.type === "errored") {
      // Answered with an error: nothing of it in flight until its next try is asked.
      asked.get(runOf(record))?.delete(record.attempt)
    } else if (record.type === "resume") {
      sessionEnded()
      resumes.push(record)
    }
    else if (record.type === "batch" || record.type === "submitting" || record.type === "refused") {
      if (keepRest) batches.push(record)
    } else if (record.type === "count") {
      if (keepRest) counts.push(record)
    } else if (onProgram !== undefined) onProgram(record)
    else if (keepRest) started.push(record)
  }
  sessionEnded()
  const { tornLine, validBytes } = end()
  return Either.right({
    signed: keyId !== undefined,
    chain: chain === null ? null : { key: chain.key, last: chain.last },
    refusedLines,
    started,
    batches,
    // The config is kept whole, as written; configDifferences copes with a field an older harness did not record.
    header: header.right as unknown as CheckpointContents["header"],
    runs,
    replies,
    resumes,
    counts,
    unanswered,
    tornLine,
    validBytes
  })
}

/** How much of a file is read at a time. */
const CHUNK_BYTES = 1 << 20

/**
 * The lines of an open file, read a chunk at a time as they are iterated, each with its place:
 * never the whole file as one string (a checkpoint of 100,000 runs is about 200 MB). The bytes
 * after the last newline, if any, are a torn line, said by `end`.
 */
export const fileLines = (fd: number, chunkBytes = CHUNK_BYTES): CheckpointLines => {
  let ended: { tornLine: number | null; validBytes: number } | undefined
  function* lines(): Generator<TextLine> {
    const buffer = Buffer.alloc(chunkBytes)
    /** The bytes of a line begun in an earlier chunk. */
    let carry: Buffer | undefined
    let position = 0
    let lineStart = 0
    let count = 0
    for (;;) {
      const n = nodeFs.readSync(fd, buffer, 0, chunkBytes, position)
      if (n === 0) break
      position += n
      let start = 0
      for (;;) {
        const newline = buffer.indexOf(10, start)
        if (newline === -1 || newline >= n) break
        const bytes = carry === undefined ? buffer.subarray(start, newline) : Buffer.concat([carry, buffer.subarray(start, newline)])
        carry = undefined
        count++
        // Decoded line by line, as the whole text would be: a newline byte is never inside a character.
        yield { text: bytes.toString("utf8"), at: { offset: lineStart, length: bytes.length + 1 } }
        lineStart += bytes.length + 1
        start = newline + 1
      }
      if (start < n) carry = carry === undefined ? Buffer.from(buffer.subarray(start, n)) : Buffer.concat([carry, buffer.subarray(start, n)])
    }
    ended = { tornLine: carry !== undefined ? count + 1 : null, validBytes: lineStart }
  }
  return {
    lines: { [Symbol.iterator]: lines },
    end: () => {
      if (ended === undefined) throw new Error("the lines of a file were asked how they ended before they were read")
      return ended
    }
  }
}

const RECORD_BLOCK = 256 * 1024

/**
 * A block of a checkpoint from the line at `offset` on: `size` bytes, or to the file's end, and at
 * least the line's `length`. Lines read in the file's order then read each block once.
 */
const readBlock = (path: string, offset: number, length: number, size: number): Buffer => {
  const fd = nodeFs.openSync(path, "r")
  try {
    const bytes = Buffer.alloc(Math.max(size, length))
    let got = 0
    while (got < bytes.length) {
      const n = nodeFs.readSync(fd, bytes, got, bytes.length - got, offset + got)
      if (n === 0) break
      got += n
    }
    if (got < length) throw new Error(`checkpoint ${path} ends before its line at byte ${offset}`)
    return bytes.subarray(0, got)
  } finally {
    nodeFs.closeSync(fd)
  }
}

/**
 * Reads lines of a checkpoint back from their places, a block at a time, so that lines read in the
 * file's order read each block once. A block starts `behind` bytes before the line it is read for
 * (for lines asked for a little out of the file's order). Each line's text with its newline.
 */
export const lineReader = (path: string, behind = 0) => {
  let block: { readonly start: number; readonly bytes: Buffer } | undefined
  return ({ offset, length }: LineAt): string => {
    if (block === undefined || offset < block.start || offset + length > block.start + block.bytes.length) {
      const start = Math.max(0, offset - behind)
      block = { start, bytes: readBlock(path, start, offset + length - start, RECORD_BLOCK) }
    }
    return block.bytes.toString("utf8", offset - block.start, offset - block.start + length)
  }
}

/**
 * Reads records of a checkpoint back from their places, decoded as reading the checkpoint decoded
 * them (their signature, checked then, left off), through a lineReader. For the lines as they were
 * read: a line appended since is read from a new reader.
 */
export const recordReader = (path: string) => {
  const lineAt = lineReader(path)
  /** The record of the line at `at`; one that no longer decodes means the file changed under it. */
  return (at: LineAt): CheckpointLine => {
    const text = lineAt(at).slice(0, -1)
    const line = Either.flatMap(parseJson(unsign(text)?.text ?? text), (json) => Either.mapLeft(decodeLine(json), firstIssue))
    if (Either.isLeft(line)) throw new Error(`checkpoint ${path}: the line at byte ${at.offset} is no longer the record read there (${line.left})`)
    return line.right
  }
}

/**
 * Opens a saved record (a checkpoint) to be read line by line, with readText's checks: a regular
 * file (of at most `maxBytes`, if given: read a line at a time, a file of any size is), or the
 * caller's error with a one-line reason. The file is closed once `use` returns.
 */
export const withFileLines = <A, E>(
  path: string,
  fail: (reason: string) => E,
  use: (lines: CheckpointLines) => A,
  maxBytes: number = Number.POSITIVE_INFINITY
): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    let fd: number
    try {
      fd = nodeFs.openSync(path, nodeFs.constants.O_RDONLY | nodeFs.constants.O_NONBLOCK)
    } catch (error) {
      return Effect.fail(fail((error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (error as Error).message))
    }
    try {
      const stat = nodeFs.fstatSync(fd)
      const MiB = 1024 * 1024
      if (stat.isDirectory()) return Effect.fail(fail("is a directory, not a file"))
      if (!stat.isFile()) return Effect.fail(fail("is not a regular file (a device or a pipe is not read)"))
      if (stat.size > maxBytes) return Effect.fail(fail(`is larger than ${maxBytes / MiB} MiB (${(stat.size / MiB).toFixed(1)} MiB)`))
      return Effect.succeed(use(fileLines(fd)))
    } catch (error) {
      return Effect.fail(fail((error as Error).message))
    } finally {
      nodeFs.closeSync(fd)
    }
  })

/** The file that says which process writes a checkpoint. */
const lockFile = (path: string) => `${path}.lock`

/** The first `size` bytes of the open file `from`, written at the position of `to`. */
const copyBytes = (from: number, to: number, size: number) => {
  const chunk = Buffer.alloc(1 << 16)
  for (let at = 0; at < size; ) {
    const n = nodeFs.readSync(from, chunk, 0, Math.min(chunk.length, size - at), at)
    if (n === 0) break
    for (let done = 0; done < n; ) done += nodeFs.writeSync(to, chunk, done, n - done)
    at += n
  }
}

/** Every byte of an open file, written to a new file at `target` (its directory made if need be); the copy is left closed. */
const copyOpenFile = (fd: number, target: string): { readonly ok: true } | { readonly ok: false; readonly reason: string } => {
  let copy: number | undefined
  try {
    const made = makeDirectories(dirname(target))
    if (!made.ok) throw new Error(made.reason)
    copy = nodeFs.openSync(target, "wx")
    copyBytes(fd, copy, nodeFs.fstatSync(fd).size)
    nodeFs.fsyncSync(copy)
    return { ok: true }
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  } finally {
    if (copy !== undefined) nodeFs.closeSync(copy)
  }
}

/**
 * Appends whole lines to an open checkpoint. Each line is in the file before its `append` returns
 * (one synchronous write), so it survives whatever then happens to the process: an interrupt, a
 * crash, kill -9. The disk is brought up to date in the background at most SYNC_EVERY_MS after a
 * line, and once more on close, so a power cut loses at most that last moment. (Writing O_SYNC
 * instead cost a trip through the thread pool and a wait on the disk for every line.)
 */
const lineWriter = (path: string, opened: number, signing: { readonly key: SigningKey; readonly last: string } | null) => {
  let fd = opened
  let last = signing?.last ?? signing?.key.id ?? ""
  // Which file is ours: compared with what the path names before each line (one stat call).
  let mine = nodeFs.fstatSync(fd)
  /** Where the next line goes: the file is opened for appending, and only this writer appends (the lock). */
  let end = mine.size
  let sync: NodeJS.Timeout | undefined
  let syncFailure: OutputError | undefined
  /**
   * The file the path names, or else: removed or moved away (with its directory, say) while the
   * benchmark ran, the lines would go on into a file nobody can find. It is written again at its
   * path from the open file, which still holds every line. One stat call a line.
   */
  const ensureAtPath = (): Effect.Effect<void, OutputError> => {
    let there: nodeFs.Stats | undefined
    try {
      // The link itself, not what it points to: a symbolic link put in its place is never ours.
      there = nodeFs.lstatSync(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") return Effect.fail(new OutputError({ path, reason: (error as Error).message }))
    }
    if (there !== undefined && there.ino === mine.ino && there.dev === mine.dev && !there.isSymbolicLink()) return Effect.void
    if (there !== undefined) {
      // Someone else's file is never overwritten; the open file's lines (every finished run) go to
      // a new file beside it, which the error names, and the benchmark stops.
      const rescued = path.replace(/(\.jsonl)?$/, `-rescued-${process.pid}.jsonl`)
      const copied = copyOpenFile(fd, rescued)
      return Effect.fail(
        new OutputError({
          path,
          reason: copied.ok
            ? `another file took its place while the benchmark ran; every line it had is in ${rescued} (resume with --resume ${rescued})`
            : `another file took its place while the benchmark ran, and its lines could not be written to ${rescued}: ${copied.reason}`
        })
      )
    }
    // Written whole beside the path, then renamed to it: a copy that fails (a full disk) leaves
    // nothing a resume could take for the checkpoint, and the open file keeps every line.
    const temp = `${path}.${process.pid}.restore`
    let copy: number | undefined
    try {
      const size = nodeFs.fstatSync(fd).size
      const made = makeDirectories(dirname(path))
      if (!made.ok) throw new Error(made.reason)
      copy = nodeFs.openSync(temp, "wx+")
      copyBytes(fd, copy, size)
      nodeFs.renameSync(temp, path)
    } catch (error) {
      if (copy !== undefined) nodeFs.closeSync(copy)
      nodeFs.rmSync(temp, { force: true })
      return Effect.fail(new OutputError({ path, reason: `was removed while the benchmark ran and could not be written again: ${(error as Error).message}` }))
    }
    nodeFs.closeSync(fd)
    // Its position is at its end, after what was copied: the next lines follow them.
    fd = copy
    mine = nodeFs.fstatSync(fd)
    try {
      // Its lock went with it: taken again, so that a resume cannot start beside this run.
      nodeFs.writeFileSync(lockFile(path), `${process.pid}\n`)
    } catch {
      // The checkpoint is back; only the guard against a second writer is not.
    }
    return Effect.logWarning(`the checkpoint ${path} was removed or moved while the benchmark ran; it is written again there, with every line it had`)
  }
  const syncSoon = () => {
    if (sync !== undefined) return
    sync = setTimeout(() => {
      sync = undefined
      // A file written again meanwhile (ensureAtPath) has a new descriptor: the old one's failure is moot.
      const target = fd
      nodeFs.fdatasync(target, (error) => {
        if (error !== null && target === fd) syncFailure ??= new OutputError({ path, reason: error.message })
      })
    }, SYNC_EVERY_MS)
    sync.unref()
  }
  const write = (line: CheckpointLine | CheckpointHeader) =>
    Effect.suspend((): Effect.Effect<LineAt, OutputError> => {
      const at = end
      try {
        const text = JSON.stringify(line)
        const signed = signing === null ? { text, mac: last } : signedLine(text, signing.key.key, last)
        const bytes = Buffer.from(signed.text + "\n", "utf8")
        for (let offset = 0; offset < bytes.length; ) offset += nodeFs.writeSync(fd, bytes, offset, bytes.length - offset)
        last = signed.mac
        end += bytes.length
        syncSoon()
        return Effect.succeed({ offset: at, length: bytes.length })
      } catch (error) {
        // A part of the line may be in the file: the next line starts where the file now ends.
        end = nodeFs.fstatSync(fd).size
        return Effect.fail(new OutputError({ path, reason: (error as Error).message }))
      }
    })
  const appendLocated = (line: CheckpointLine | CheckpointHeader) =>
    Effect.suspend(() => (syncFailure !== undefined ? Effect.fail(syncFailure) : Effect.zipRight(ensureAtPath(), write(line))))
  const append = (line: CheckpointLine | CheckpointHeader) => Effect.asVoid(appendLocated(line))
  const close = () => {
    clearTimeout(sync)
    try {
      nodeFs.fdatasyncSync(fd)
    } catch {
      // The lines are in the file; only the wait for the disk failed.
    }
    nodeFs.closeSync(fd)
  }
  return { path, append, appendLocated, ensure: Effect.suspend(ensureAtPath), close }
}

/**
 * One writer per checkpoint, held until the scope closes: a second process appending to the same
 * checkpoint (a resume started while the run still works, or two resumes) would ask the model for,
 * and record, the same runs twice. The lock file names its holder; one whose process is gone (a
 * kill -9) is taken over.
 */
const lock = (path: string) =>
  Effect.acquireRelease(
    Effect.suspend((): Effect.Effect<string, OutputError | CheckpointError> => {
      const file = lockFile(path)
      for (let tries = 0; tries < 3; tries++) {
        try {
          nodeFs.writeFileSync(file, `${process.pid}\n`, { flag: "wx" })
          removeOnExitNow.add(file)
          return Effect.succeed(file)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST")
            return Effect.fail(new OutputError({ path: file, reason: (error as Error).message }))
        }
        let holder = NaN
        try {
          holder = Number(nodeFs.readFileSync(file, "utf8").trim())
        } catch {
          continue // removed meanwhile: try again
        }
        if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder))
          return Effect.fail(
            new CheckpointError({ path, reason: `in use by process ${holder}, another ilo-bench writing it (if none is, remove ${file})` })
          )
        nodeFs.rmSync(file, { force: true })
      }
      return Effect.fail(new CheckpointError({ path, reason: `could not take its lock ${file}` }))
    }),
    (file) =>
      Effect.sync(() => {
        removeOnExitNow.delete(file)
        nodeFs.rmSync(file, { force: true })
      })
  )

export const layer = Layer.effect(
  Checkpoint,
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem

    const open = (path: string, signing: Parameters<typeof lineWriter>[2]) =>
      Effect.acquireRelease(
        Effect.async<number, OutputError>((resume) => {
          // Readable too: a checkpoint removed while it is written is written again from it.
          nodeFs.open(path, "a+", (error, fd) =>
            resume(error ? Effect.fail(new OutputError({ path, reason: error.message })) : Effect.succeed(fd))
          )
        }).pipe(Effect.map((fd) => lineWriter(path, fd, signing))),
        (writer) => Effect.sync(writer.close)
      )

    return Checkpoint.make({
      begin: (path, header) =>
        Effect.gen(function* () {
          yield* lock(path)
          // A key of its own for this benchmark, kept out of the output directory (checkpointKeys.ts).
          const key = yield* Effect.try({
            try: newSigningKey,
            catch: (error) => new OutputError({ path, reason: `cannot keep the key that signs its lines: ${(error as Error).message}` })
          })
          const w = yield* open(path, { key, last: key.id })
          yield* w.append({ ...header, signing_key: key.id })
          return w
        }),
      reopen: (path, contents) =>
        Effect.gen(function* () {
          yield* lock(path)
          // Whatever a crash left after the last complete line goes, or the next line would join it.
          yield* fs.truncate(path, contents.validBytes).pipe(Effect.mapError((e) => new OutputError({ path, reason: e.message })))
          return yield* open(path, contents.chain ?? null)
        }),
      read: (path, visit) =>
        Effect.gen(function* () {
          // Line by line: the file is never one string, and what `visit` takes is not kept.
          const parsed = yield* withFileLines(path, (reason) => new CheckpointError({ path, reason }), (lines) =>
            parseCheckpointLines(path, lines, { ...visit, keepRest: true, keyOf: loadSigningKey })
          )
          const contents = yield* parsed
          if (!contents.signed)
            yield* Effect.logWarning(
              `checkpoint ${path}: its lines are not signed (an older ilo-bench wrote it), so lines a program added to it cannot be told apart`
            )
          const refused = contents.refusedLines ?? []
          if (refused.length > 0)
            yield* Effect.logWarning(
              `checkpoint ${path}: ${refused.length} line(s) were not written by the ilo-bench that owns it (their signature does not match) and are left out: line ${refused.slice(0, 5).join(", ")}${refused.length > 5 ? ", ..." : ""}`
            )
          if (contents.tornLine !== null)
            yield* Effect.logWarning(
              `checkpoint ${path}: line ${contents.tornLine} was cut short (a crash while writing it); ignoring it`
            )
          return contents
        })
    })
  })
)
