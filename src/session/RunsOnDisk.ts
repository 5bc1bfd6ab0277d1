import * as nodeFs from "node:fs"
import type { RunResult } from "../domain/Result.js"
import type { LineAt } from "../services/Checkpoint.js"
import { WHOLE_RUN } from "../report/Json.js"

/**
 * The finished runs of a benchmark as the session holds them while it goes on: where each run's
 * line is in the checkpoint, by the run's index in the plan, 12 bytes a run (an object and a map
 * entry per run were about 100 bytes, 10 MB at 100,000 runs).
 */
export class RunPlaces {
  private offsets = new Float64Array(1024)
  private lengths = new Uint32Array(1024)
  private count = 0
  constructor(readonly path: string) {}
  get size() {
    return this.count
  }
  set(index: number, at: LineAt) {
    if (index >= this.lengths.length) {
      const size = Math.max(index + 1, this.lengths.length * 2)
      const offsets = new Float64Array(size)
      const lengths = new Uint32Array(size)
      offsets.set(this.offsets)
      lengths.set(this.lengths)
      this.offsets = offsets
      this.lengths = lengths
    }
    if (this.lengths[index] === 0) this.count++
    this.offsets[index] = at.offset
    this.lengths[index] = at.length
  }
  /** The run's line, or undefined if it has none here (lengths are never 0: a line holds at least its newline). */
  get(index: number): LineAt | undefined {
    const length = index < this.lengths.length ? this.lengths[index]! : 0
    return length === 0 ? undefined : { offset: this.offsets[index]!, length }
  }
}

/**
 * The runs at these places, for a report, read in one pass over the file (the order given). The
 * first few megabytes of run lines are kept whole: a benchmark that small (most are) is reported
 * without reading a line twice. Past them a run is held as a few hundred bytes: its scalar fields
 * (task, language, model, outcome, tokens, cost: what the reports' tables and analyses go through
 * run after run), the rest (its attempts, every program and error sent back, its lists) left in
 * its line and read from there when a report uses them, one run at a time. Such a run is a Proxy
 * (one handler for all) of the whole record, keys in the line's order, so that JSON.stringify and
 * the report renderers see the record unchanged. Held whole, 100,000 runs' records were about
 * 100 MB more of heap in the reports.
 */
export const readRuns = (path: string, places: ReadonlyArray<LineAt>, keepBytes = KEEP_BYTES): Array<RunResult> => {
  // A report starts with nothing read for an earlier one (a file of the same name may have changed).
  recent.length = 0
  block = undefined
  const fd = nodeFs.openSync(path, "r")
  try {
    let kept = 0
    return places.map((at) => {
      const result = readLine(fd, path, at)
      kept += at.length
      return kept > keepBytes ? runOnDisk(result, path, at) : result
    })
  } finally {
    nodeFs.closeSync(fd)
  }
}

/** How much of a checkpoint's run lines a report holds whole (their attempts with them). */
export const KEEP_BYTES = 8 * 1024 * 1024

/**
 * What is held of a run on disk: its fields whose values are numbers, booleans, null or short
 * strings (repeated strings shared: a benchmark has a handful of languages, models and outcomes),
 * empty lists, and small records of such values (the last program's tokens), by the field's index
 * in `fields`; the rest (attempts, long texts, lists) is read from the line. Which fields the line
 * has is held once for every run written alike: a report asking for a field a run lacks, or for
 * the list of its fields, reads nothing.
 */
class Held {
  constructor(
    readonly values: Array<unknown>,
    readonly fields: Fields,
    readonly path: string,
    readonly offset: number,
    readonly length: number
  ) {}
}
interface Fields {
  readonly keys: ReadonlyArray<string>
  readonly index: ReadonlyMap<string, number>
}
/** A field left in the line. */
const OnLine = Symbol("on line")

const SHORT = 64
const SMALL = 8
const EMPTY: ReadonlyArray<never> = Object.freeze([])
const shared = new Map<string, string>()
const share = (s: string) => {
  const known = shared.get(s)
  if (known !== undefined) return known
  if (shared.size < 4096) shared.set(s, s)
  return s
}
const shapes = new Map<string, Fields>()
const fieldsOf = (keys: Array<string>): Fields => {
  const name = keys.join("\n")
  let fields = shapes.get(name)
  if (fields === undefined) shapes.set(name, (fields = { keys, index: new Map(keys.map((k, i) => [k, i])) }))
  return fields
}

/** The value as held in memory, or OnLine where it stays in the line. */
const small = (value: unknown, depth: number): unknown => {
  if (value === null || typeof value === "number" || typeof value === "boolean") return value
  if (typeof value === "string") return value.length <= SHORT ? share(value) : OnLine
  if (depth > 0 || typeof value !== "object") return OnLine
  // Lists (tokens by turn, finish reasons, abandoned requests) are read once or twice a report: only an empty one is held, shared.
  if (Array.isArray(value)) return value.length === 0 ? EMPTY : OnLine
  const entries = Object.entries(value)
  if (entries.length > SMALL) return OnLine
  const out = entries.map(([k, v]) => [share(k), small(v, 1)] as const)
  // Made by Object.fromEntries, a record of a few fields keeps V8's fast layout.
  return out.some(([, v]) => v === OnLine) ? OnLine : Object.fromEntries(out)
}

const runOnDisk = (result: RunResult, path: string, at: LineAt): RunResult => {
  const keys = Object.keys(result)
  // In one array: an object given its 30-odd fields one by one goes to V8's dictionary layout, about 1.5 KB.
  const values = keys.map((key) => {
    const value = (result as unknown as Record<string, unknown>)[key]
    return key === "attempts" ? OnLine : key === "task" && typeof value === "string" ? value : small(value, 0)
  })
  return new Proxy(new Held(values, fieldsOf(keys), path, at.offset, at.length), recordOnLine) as unknown as RunResult
}

/** The value of a field the line has: from memory, or read from the line. */
const valueOf = (target: Held, i: number, key: string) => {
  const value = target.values[i]
  return value === OnLine ? Reflect.get(load(target), key) : value
}

/**
 * A held field answers from memory, a field the line lacks as undefined; any other is read from the
 * line. WHOLE_RUN gives the line's record itself (the JSON report writes it as it is).
 */
const recordOnLine: ProxyHandler<Held> = {
  get: (target, key) => {
    if (key === WHOLE_RUN) return load(target)
    const i = typeof key === "string" ? target.fields.index.get(key) : undefined
    return i === undefined ? undefined : valueOf(target, i, key as string)
  },
  has: (target, key) => typeof key === "string" && target.fields.index.has(key),
  ownKeys: (target) => target.fields.keys as Array<string>,
  getOwnPropertyDescriptor: (target, key) => {
    const i = typeof key === "string" ? target.fields.index.get(key) : undefined
    return i === undefined ? undefined : { value: valueOf(target, i, key as string), writable: true, enumerable: true, configurable: true }
  },
  set: () => false,
  deleteProperty: () => false,
  defineProperty: () => false
}

/**
 * The records last read from their lines: a report goes through one run at a time (sometimes two
 * side by side), so a few answer the next uses; each holds its attempts only while it is here.
 */
const recent: Array<{ readonly held: Held; readonly result: RunResult }> = []
const RECENT = 4

/** The last block read from a checkpoint: a report that goes through the runs in order reads each block once. */
let block: { readonly path: string; readonly start: number; readonly bytes: Buffer } | undefined
const BLOCK = 256 * 1024

const load = (held: Held): RunResult => {
  for (const r of recent) if (r.held === held) return r.result
  const { path, offset, length } = held
  if (block === undefined || block.path !== path || offset < block.start || offset + length > block.start + block.bytes.length) {
    const fd = nodeFs.openSync(path, "r")
    try {
      const bytes = Buffer.alloc(Math.max(BLOCK, length))
      let got = 0
      while (got < bytes.length) {
        const n = nodeFs.readSync(fd, bytes, got, bytes.length - got, offset + got)
        if (n === 0) break
        got += n
      }
      if (got < length) throw new Error(`checkpoint ${path} ends before its line at byte ${offset}`)
      block = { path, start: offset, bytes: bytes.subarray(0, got) }
    } finally {
      nodeFs.closeSync(fd)
    }
  }
  const result = runOfLine(block.bytes.toString("utf8", offset - block.start, offset - block.start + length), path, offset)
  recent.unshift({ held, result })
  if (recent.length > RECENT) recent.pop()
  return result
}

/** The run record of the checkpoint line at `at`, read from an open file. */
const readLine = (fd: number, path: string, at: LineAt) => {
  const bytes = Buffer.alloc(at.length)
  for (let got = 0; got < at.length; ) {
    const n = nodeFs.readSync(fd, bytes, got, at.length - got, at.offset + got)
    if (n === 0) throw new Error(`checkpoint ${path} ends before its line at byte ${at.offset}`)
    got += n
  }
  return runOfLine(bytes.toString("utf8"), path, at.offset)
}

/** The run record of a checkpoint line (written by this process, so decoded as it was written). */
const runOfLine = (text: string, path: string, offset: number): RunResult => {
  const line = JSON.parse(text) as { type?: unknown; result?: RunResult }
  if (line.type !== "run" || line.result === undefined) throw new Error(`checkpoint ${path}: the line at byte ${offset} is not a run`)
  return line.result
}
