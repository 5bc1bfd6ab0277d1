import * as nodeFs from "node:fs"
import type { RunResult } from "../domain/Result.js"
import { lineReader, type LineAt } from "./Checkpoint.js"
import { ATTEMPT_FIGURES, figuresOf, WHOLE_RUN, type AttemptFigures } from "../domain/WholeRun.js"

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
 * without reading a line twice. Past them a run is held as a few bytes in columns (typed arrays,
 * one per field, shared by every run of the report): its scalar fields (task, language, model,
 * outcome, tokens, cost: what the reports' tables and analyses go through run after run); the rest
 * (its attempts, every program and error sent back, its lists) left in its line and read from
 * there when a report uses them, one run at a time. Such a run is a Proxy (one handler for all) of
 * the whole record, keys in the line's order, so that JSON.stringify and the report renderers see
 * the record unchanged. Held whole, 100,000 runs' records were about 100 MB more of heap in the
 * reports; as an array of their short fields each, about 54 MB; in columns, about 13 MB (a test
 * measures 130 bytes a run).
 */
export const readRuns = (
  path: string,
  places: ReadonlyArray<LineAt>,
  keepBytes = KEEP_BYTES,
  /**
   * What of each line's run record a report holds (`report` holds the rows its schema reads; a
   * resume's kept runs are decoded as reading the checkpoint decodes them), by the place's index:
   * every reading of the line goes through it.
   */
  project: (result: RunResult, place: number) => RunResult = (result) => result
): Array<RunResult> => {
  // A report starts with nothing read for an earlier one (a file of the same name may have changed).
  recent.length = 0
  lines = undefined
  const fd = nodeFs.openSync(path, "r")
  let columns: Columns | undefined
  try {
    let kept = 0
    return places.map((at, i) => {
      const line = readLine(fd, path, at)
      const result = project(line, i)
      kept += at.length
      if (kept <= keepBytes) return result
      // Every run from here on is held in columns, with what the reports count of its attempts
      // (counted from the line's record: a projection may leave out what a note counts).
      if (columns === undefined) {
        const first = i
        columns = new Columns(path, places.length - i, (r, run) => project(r, first + run))
      }
      return columns.add(result, at, figuresOf(line.attempts))
    })
  } finally {
    nodeFs.closeSync(fd)
  }
}

/** How much of a checkpoint's run lines a report holds whole (their attempts with them). */
export const KEEP_BYTES = 8 * 1024 * 1024

/** Which keys a run's line has, in its order: held once for every run written alike. */
interface Fields {
  readonly keys: ReadonlyArray<string>
  /** Each key's column. */
  readonly columns: ReadonlyArray<number>
  /** By key, its column. */
  readonly index: ReadonlyMap<string, number>
}

/** What a column holds of a run's field: the value itself, or where it is found. */
const enum Kind {
  Number = 1,
  Null,
  True,
  False,
  /** A short string: its index in the shared strings. */
  Text,
  /** An empty list (shared). */
  Empty,
  /** A small record of scalars: its index in the shared records. */
  Record,
  /** A task's name: its index in the tasks. */
  Task,
  /** Read from the line. */
  OnLine
}

const SHORT = 64
const SMALL = 8
/** The most distinct short strings, and small records, held: past them, a value stays in its line. */
const SHARED = 4096
const EMPTY: ReadonlyArray<never> = Object.freeze([])

/**
 * One field of every held run: its kind (a byte) and its number (a string's or record's index, or
 * the value), in an Int32Array until a value needs a Float64Array (a cost, a time). A field with
 * the same value in every run so far (the provider, the language of a one-language benchmark, a
 * flag) holds that value once, and its arrays only from the first run that differs.
 */
class Column {
  private kinds: Uint8Array | undefined
  private values: Int32Array | Float64Array | undefined
  private kind: Kind | undefined
  private value = 0
  constructor(private readonly size: number) {}
  set(run: number, kind: Kind, value: number) {
    if (this.kinds === undefined) {
      if (this.kind === undefined || (this.kind === kind && Object.is(this.value, value))) {
        this.kind = kind
        this.value = value
        return
      }
      // The first run that differs: every run before it had the one value (or lacks the field, and is never asked for it).
      this.kinds = new Uint8Array(this.size).fill(this.kind)
      this.values = (isInt32(this.value) ? new Int32Array(this.size) : new Float64Array(this.size)).fill(this.value)
    }
    this.kinds[run] = kind
    if (this.values instanceof Int32Array && !isInt32(value)) this.values = Float64Array.from(this.values)
    this.values![run] = value
  }
  kindOf(run: number): Kind {
    return this.kinds === undefined ? this.kind! : (this.kinds[run] as Kind)
  }
  valueOf(run: number): number {
    return this.values === undefined ? this.value : this.values[run]!
  }
}

const isInt32 = (value: number) => (value | 0) === value && !Object.is(value, -0)

/** The held runs of one report: their fields in columns, their lines' places, the values they share. */
class Columns {
  private count = 0
  private readonly offsets: Float64Array
  private readonly lengths: Uint32Array
  /** Each run's Fields, by its index in `shapes`. */
  private readonly shapeOf: Uint16Array
  private readonly shapes: Array<Fields> = []
  private readonly shapeIndex = new Map<string, number>()
  private readonly columns: Array<Column> = []
  private readonly columnOf = new Map<string, number>()
  private readonly tasks: Array<string> = []
  private readonly strings: Array<string> = []
  private readonly stringIndex = new Map<string, number>()
  private readonly records: Array<Readonly<Record<string, unknown>>> = []
  private readonly recordIndex = new Map<string, number>()
  /** At most `size` runs: a report knows how many it reads. */
  constructor(
    readonly path: string,
    private readonly size: number,
    /** By the run's number here. */
    readonly project: (result: RunResult, run: number) => RunResult
  ) {
    this.offsets = new Float64Array(size)
    this.lengths = new Uint32Array(size)
    this.shapeOf = new Uint16Array(size)
    this.figures = new Figures(size)
  }

  add(result: RunResult, at: LineAt, figures: AttemptFigures): RunResult {
    const run = this.count++
    this.offsets[run] = at.offset
    this.lengths[run] = at.length
    this.figures.set(run, figures)
    const record = result as unknown as Record<string, unknown>
    const keys = Object.keys(record)
    const fields = this.fieldsOf(keys)
    this.shapeOf[run] = this.shapeIndex.get(keys.join("\n"))!
    for (let i = 0; i < keys.length; i++) {
      const [kind, value] = this.encode(keys[i]!, record[keys[i]!])
      this.columns[fields.columns[i]!]!.set(run, kind, value)
    }
    return new Proxy(new Held(this, run), recordOnLine) as unknown as RunResult
  }

  private fieldsOf(keys: Array<string>): Fields {
    const name = keys.join("\n")
    const known = this.shapeIndex.get(name)
    if (known !== undefined) return this.shapes[known]!
    // More shapes than a Uint16Array can number would be runs written by 65,536 different harnesses.
    if (this.shapes.length === 0xffff) throw new Error(`checkpoint ${this.path}: too many different run records to hold`)
    const columns = keys.map((key) => {
      let column = this.columnOf.get(key)
      if (column === undefined) {
        column = this.columns.length
        this.columnOf.set(key, column)
        this.columns.push(new Column(this.size))
      }
      return column
    })
    const fields = { keys, columns, index: new Map(keys.map((k, i) => [k, columns[i]!])) }
    this.shapeIndex.set(name, this.shapes.length)
    this.shapes.push(fields)
    return fields
  }

  private shared<T>(list: Array<T>, index: Map<string, number>, key: string, make: () => T): number | undefined {
    const known = index.get(key)
    if (known !== undefined) return known
    if (list.length >= SHARED) return undefined
    index.set(key, list.length)
    list.push(make())
    return list.length - 1
  }

  /** A run's task, however long and however many: every report goes by it. Runs of a task come one after another in the plan. */
  private task(name: string): number {
    if (this.tasks.at(-1) !== name) this.tasks.push(name)
    return this.tasks.length - 1
  }

  /** How a field's value is held. */
  private encode(key: string, value: unknown): readonly [Kind, number] {
    if (key === "attempts") return [Kind.OnLine, 0]
    if (value === null) return [Kind.Null, 0]
    if (typeof value === "number") return [Kind.Number, value]
    if (typeof value === "boolean") return [value ? Kind.True : Kind.False, 0]
    if (typeof value === "string") {
      if (key === "task") return [Kind.Task, this.task(value)]
      const i = value.length > SHORT ? undefined : this.shared(this.strings, this.stringIndex, value, () => value)
      return i === undefined ? [Kind.OnLine, 0] : [Kind.Text, i]
    }
    // Lists (tokens by turn, finish reasons, abandoned requests) are read once or twice a report: only an empty one is held, shared.
    if (Array.isArray(value)) return value.length === 0 ? [Kind.Empty, 0] : [Kind.OnLine, 0]
    if (typeof value !== "object") return [Kind.OnLine, 0]
    // A small record of scalars (the last program's tokens): shared, as most runs' are alike.
    const entries = Object.entries(value as object)
    const scalar = (v: unknown) => v === null || typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= SHORT)
    if (entries.length > SMALL || !entries.every(([, v]) => scalar(v))) return [Kind.OnLine, 0]
    // Made by Object.fromEntries, a record of a few fields keeps V8's fast layout; frozen, as runs share it.
    const i = this.shared(this.records, this.recordIndex, JSON.stringify(entries), () => Object.freeze(Object.fromEntries(entries)))
    return i === undefined ? [Kind.OnLine, 0] : [Kind.Record, i]
  }

  fields(run: number): Fields {
    return this.shapes[this.shapeOf[run]!]!
  }

  /** A held field's value, or OnLine. */
  value(run: number, column: number): unknown {
    const c = this.columns[column]!
    switch (c.kindOf(run)) {
      case Kind.Number:
        return c.valueOf(run)
      case Kind.Null:
        return null
      case Kind.True:
        return true
      case Kind.False:
        return false
      case Kind.Text:
        return this.strings[c.valueOf(run)]
      case Kind.Task:
        return this.tasks[c.valueOf(run)]
      case Kind.Empty:
        return EMPTY
      case Kind.Record:
        return this.records[c.valueOf(run)]
      default:
        return OnLine
    }
  }

  place(run: number): LineAt {
    return { offset: this.offsets[run]!, length: this.lengths[run]! }
  }

  /** What the reports count of each run's attempts. */
  readonly figures: Figures
}

/**
 * The AttemptFigures of the runs of one report, in columns: three counts a run, and per tokenizer
 * met its sum, counted and present (arrays made when a tokenizer is first met); each run's
 * tokenizers in its order, as an index into the distinct orders met (shared).
 */
class Figures {
  private readonly attempts: Int32Array
  private readonly unfenced: Int32Array
  private readonly chatty: Int32Array
  private readonly orderOf: Uint16Array
  private readonly orders: Array<ReadonlyArray<string>> = []
  private readonly orderIndex = new Map<string, number>()
  private readonly tokens = new Map<string, { readonly sum: Float64Array; readonly counted: Int32Array; readonly present: Int32Array }>()
  constructor(private readonly size: number) {
    this.attempts = new Int32Array(size)
    this.unfenced = new Int32Array(size)
    this.chatty = new Int32Array(size)
    this.orderOf = new Uint16Array(size)
  }
  set(run: number, f: AttemptFigures) {
    this.attempts[run] = f.attempts
    this.unfenced[run] = f.unfenced
    this.chatty[run] = f.chatty
    const names = f.programTokens.map((t) => t.tokenizer)
    const key = names.join("\n")
    let order = this.orderIndex.get(key)
    if (order === undefined) {
      if (this.orders.length === 0xffff) throw new Error("too many different sets of tokenizers to hold")
      this.orderIndex.set(key, (order = this.orders.length))
      this.orders.push(names)
    }
    this.orderOf[run] = order
    for (const t of f.programTokens) {
      let c = this.tokens.get(t.tokenizer)
      if (c === undefined) this.tokens.set(t.tokenizer, (c = { sum: new Float64Array(this.size), counted: new Int32Array(this.size), present: new Int32Array(this.size) }))
      c.sum[run] = t.sum
      c.counted[run] = t.counted
      c.present[run] = t.present
    }
  }
  get(run: number): AttemptFigures {
    return {
      attempts: this.attempts[run]!,
      unfenced: this.unfenced[run]!,
      chatty: this.chatty[run]!,
      programTokens: this.orders[this.orderOf[run]!]!.map((tokenizer) => {
        const c = this.tokens.get(tokenizer)!
        return { tokenizer, sum: c.sum[run]!, counted: c.counted[run]!, present: c.present[run]! }
      })
    }
  }
}

/** A run held in columns: which report's, and which run of it. */
class Held {
  constructor(
    readonly columns: Columns,
    readonly run: number
  ) {}
}
/** A field left in the line. */
const OnLine = Symbol("on line")

/** The value of a field the line has: from memory, or read from the line. */
const valueOf = (target: Held, column: number, key: string) => {
  const value = target.columns.value(target.run, column)
  return value === OnLine ? Reflect.get(load(target), key) : value
}

/**
 * A held field answers from memory, a field the line lacks as undefined; any other is read from the
 * line. WHOLE_RUN gives the line's record itself (the JSON report writes it as it is).
 */
const recordOnLine: ProxyHandler<Held> = {
  get: (target, key) => {
    if (key === WHOLE_RUN) return load(target)
    if (key === ATTEMPT_FIGURES) return target.columns.figures.get(target.run)
    const column = typeof key === "string" ? target.columns.fields(target.run).index.get(key) : undefined
    return column === undefined ? undefined : valueOf(target, column, key as string)
  },
  has: (target, key) => typeof key === "string" && target.columns.fields(target.run).index.has(key),
  ownKeys: (target) => target.columns.fields(target.run).keys as Array<string>,
  getOwnPropertyDescriptor: (target, key) => {
    const column = typeof key === "string" ? target.columns.fields(target.run).index.get(key) : undefined
    return column === undefined ? undefined : { value: valueOf(target, column, key as string), writable: true, enumerable: true, configurable: true }
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

/** The lines of the checkpoint last read: a report that goes through the runs in order reads each block once. */
let lines: { readonly path: string; readonly lineAt: (at: LineAt) => string } | undefined
/** How far before a line a block read for it starts, for runs read in the plan's order (runReader). */
const BEHIND = 32 * 1024

const load = (held: Held): RunResult => {
  for (const r of recent) if (r.held === held) return r.result
  const { path } = held.columns
  if (lines === undefined || lines.path !== path) lines = { path, lineAt: lineReader(path) }
  const at = held.columns.place(held.run)
  const result = held.columns.project(runOfLine(lines.lineAt(at), path, at.offset), held.run)
  recent.unshift({ held, result })
  if (recent.length > RECENT) recent.pop()
  return result
}

/**
 * Reads run records back from their lines one at a time, none of them kept: a block of the file at
 * a time, so that runs read in the file's order read each block once (a resume's kept runs, counted
 * for the progress lines and the budget before its runs start).
 */
export const runReader = (path: string) => {
  // Runs finish out of the plan's order, a few lines apart: a block from a little before the line
  // serves the runs asked for next that were written just before it (a block from the line itself
  // was read again for every other run).
  const lineAt = lineReader(path, BEHIND)
  return (at: LineAt): RunResult => runOfLine(lineAt(at), path, at.offset)
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
