import type { ProcessOutcome, ProcessRequest } from "./programProcess.js"

/**
 * The program host's protocol, both ends (the harness, and the Node host; the native host,
 * src/programHost.c, reads and writes the same bytes). Length-prefixed binary frames rather than
 * JSON lines, so that the native host needs no JSON parser: it sends a program's output as the
 * bytes it printed, for the harness to decode (the Node host sends the text it decoded itself).
 *
 * A frame: u32 length of what follows, u8 kind, the kind's fields. Integers are little-endian; a
 * string is a u32 byte length and its UTF-8 bytes.
 *   to the host:    RUN 1     id u32, time limit f64 ms (-1: none), argc u32, argc strings,
 *                             u8 1 and extension, source if there is a program file, else u8 0
 *                   CANCEL 2  id u32
 *   from the host:  RUN 1     id u32, exit code i32 (-1: none, killed by a signal), duration u32 ms,
 *                             flags u8 (1: timed out, 2: output truncated), stdout, stderr
 *                   SPAWN_ERROR 2  id u32, command, message
 */
const RUN = 1
const CANCEL = 2
const SPAWN_ERROR = 2

export type HostRequest = { readonly id: number; readonly request: ProcessRequest } | { readonly id: number; readonly cancel: true }

class Writer {
  private readonly parts: Array<Buffer> = []
  private size = 0
  private push(part: Buffer) {
    this.parts.push(part)
    this.size += part.length
  }
  u8(v: number) {
    this.push(Buffer.of(v))
    return this
  }
  u32(v: number) {
    const b = Buffer.allocUnsafe(4)
    b.writeUInt32LE(v >>> 0)
    this.push(b)
    return this
  }
  i32(v: number) {
    const b = Buffer.allocUnsafe(4)
    b.writeInt32LE(v)
    this.push(b)
    return this
  }
  f64(v: number) {
    const b = Buffer.allocUnsafe(8)
    b.writeDoubleLE(v)
    this.push(b)
    return this
  }
  str(text: string) {
    const bytes = Buffer.from(text, "utf8")
    this.u32(bytes.length)
    this.push(bytes)
    return this
  }
  frame(): Buffer {
    const head = Buffer.allocUnsafe(4)
    head.writeUInt32LE(this.size)
    return Buffer.concat([head, ...this.parts], 4 + this.size)
  }
}

class Reader {
  private at = 0
  constructor(private readonly body: Buffer) {}
  u8() {
    return this.body.readUInt8(this.at++)
  }
  u32() {
    const v = this.body.readUInt32LE(this.at)
    this.at += 4
    return v
  }
  i32() {
    const v = this.body.readInt32LE(this.at)
    this.at += 4
    return v
  }
  f64() {
    const v = this.body.readDoubleLE(this.at)
    this.at += 8
    return v
  }
  str() {
    const n = this.u32()
    if (this.at + n > this.body.length) throw new RangeError("a string runs past its frame")
    const text = this.body.toString("utf8", this.at, this.at + n)
    this.at += n
    return text
  }
}

export const encodeRun = (id: number, request: ProcessRequest): Buffer => {
  const w = new Writer().u8(RUN).u32(id).f64(request.timeoutMs ?? -1).u32(request.command.length)
  for (const part of request.command) w.str(part)
  if (request.program === undefined) w.u8(0)
  else w.u8(1).str(request.program.extension).str(request.program.source)
  return w.frame()
}

export const encodeCancel = (id: number): Buffer => new Writer().u8(CANCEL).u32(id).frame()

export const decodeRequest = (body: Buffer): HostRequest => {
  const r = new Reader(body)
  const kind = r.u8()
  const id = r.u32()
  if (kind === CANCEL) return { id, cancel: true }
  const timeout = r.f64()
  const command = Array.from({ length: r.u32() }, () => r.str())
  const program = r.u8() === 1 ? { extension: r.str(), source: r.str() } : undefined
  return { id, request: { command, timeoutMs: timeout < 0 ? null : timeout, program } }
}

export const encodeOutcome = (id: number, outcome: ProcessOutcome): Buffer => {
  if ("spawnError" in outcome) return new Writer().u8(SPAWN_ERROR).u32(id).str(outcome.spawnError.command).str(outcome.spawnError.message).frame()
  const run = outcome.run
  return new Writer()
    .u8(RUN)
    .u32(id)
    .i32(run.exitCode ?? -1)
    .u32(run.durationMs)
    .u8((run.timedOut ? 1 : 0) | (run.outputTruncated ? 2 : 0))
    .str(run.stdout)
    .str(run.stderr)
    .frame()
}

export const decodeOutcome = (body: Buffer): { readonly id: number; readonly outcome: ProcessOutcome } => {
  const r = new Reader(body)
  const kind = r.u8()
  const id = r.u32()
  if (kind === SPAWN_ERROR) return { id, outcome: { spawnError: { command: r.str(), message: r.str() } } }
  const code = r.i32()
  const durationMs = r.u32()
  const flags = r.u8()
  const stdout = r.str()
  const stderr = r.str()
  return {
    id,
    outcome: { run: { stdout, stderr, exitCode: code < 0 ? null : code, durationMs, timedOut: (flags & 1) !== 0, outputTruncated: (flags & 2) !== 0 } }
  }
}

/** Calls `handle` with the body of each whole frame of a byte stream, in order. */
export const onFrames = (stream: NodeJS.ReadableStream, handle: (body: Buffer) => void) => {
  // Chunks are joined once a frame is whole: a program's megabyte of output arrives in many.
  let chunks: Array<Buffer> = []
  let size = 0
  let end = -1
  stream.on("data", (chunk: Buffer) => {
    chunks.push(chunk)
    size += chunk.length
    for (;;) {
      if (end < 0) {
        if (size < 4) return
        end = 4 + (chunks[0]!.length >= 4 ? chunks[0]! : Buffer.concat(chunks, size)).readUInt32LE(0)
      }
      if (size < end) return
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
      const rest = all.subarray(end)
      const body = all.subarray(4, end)
      chunks = rest.length === 0 ? [] : [rest]
      size = rest.length
      end = -1
      handle(body)
    }
  })
}
