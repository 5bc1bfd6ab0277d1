import * as nodeFs from "node:fs"
import type { RunResult } from "../domain/Result.js"
import type { LineAt } from "../services/Checkpoint.js"

type Attempts = Array<RunResult["attempts"][number]>

/**
 * A finished run as the session holds it while the benchmark goes on: only where its line is in
 * the checkpoint. Holding the run itself, even without its attempts, cost about 2 KB a run (each
 * copy had a hidden class of its own), 200 MB at 100,000 runs.
 */
export interface RunOnDisk {
  readonly path: string
  readonly at: LineAt
}

/**
 * The runs at these places, for a report, read in one pass over the file (the order given): each
 * run's totals in memory and, past the first few megabytes, its attempts (every program and every
 * error sent back, most of a result's size) left in its line and read back from there each time a
 * report asks for them, one run at a time. `attempts` stays a field, where the record has it,
 * holding an array that reads itself from the line on each use (a Proxy, one handler for all), so
 * that JSON.stringify and the report renderers see the record unchanged.
 */
export const readRuns = (path: string, places: ReadonlyArray<LineAt>, keepBytes = KEEP_BYTES): Array<RunResult> => {
  const fd = nodeFs.openSync(path, "r")
  try {
    // The first runs, up to `keepBytes` of their lines, keep their attempts in memory: a benchmark
    // that small (most are) is reported without reading a line twice, a larger one in flat memory.
    let kept = 0
    return places.map((at) => {
      const result = readLine(fd, path, at)
      kept += at.length
      // In place: the parsed records keep the one hidden class JSON.parse gave them all.
      if (kept > keepBytes) (result as { attempts: RunResult["attempts"] }).attempts = attemptsAt(path, at)
      return result
    })
  } finally {
    nodeFs.closeSync(fd)
  }
}

/** How much of a checkpoint's run lines a report holds whole (their attempts with them). */
export const KEEP_BYTES = 8 * 1024 * 1024

/** A run held as its totals, its attempts read from the line at `at` when used (as `readRuns` gives them). */
export const attemptsOnDisk = (result: RunResult, path: string, at: LineAt): RunResult => {
  const { attempts: _inMemory, ...totals } = result
  return { ...totals, attempts: attemptsAt(path, at) }
}

/** Where a proxied array's attempts are: kept on its (empty) target, so that one handler serves every run. */
const LINE = Symbol("line")
type Target = Attempts & { [LINE]: RunOnDisk }

const attemptsAt = (path: string, at: LineAt): Attempts => {
  const target = [] as unknown as Target
  target[LINE] = { path, at }
  return new Proxy<Target>(target, onDisk)
}

let last: { readonly place: RunOnDisk; readonly attempts: RunResult["attempts"] } | undefined

/** A report goes through one run's attempts at a time: the last run read answers the next uses. */
const load = (target: Target): Attempts => {
  const place = target[LINE]
  if (last === undefined || last.place !== place) {
    const fd = nodeFs.openSync(place.path, "r")
    try {
      last = { place, attempts: readLine(fd, place.path, place.at).attempts }
    } finally {
      nodeFs.closeSync(fd)
    }
  }
  return last.attempts as Attempts
}

/** Every use of the array reads it from the line: held only while it is used. */
const onDisk: ProxyHandler<Target> = {
  get: (target, key) => {
    const attempts = load(target)
    const value = Reflect.get(attempts, key)
    return typeof value === "function" ? value.bind(attempts) : value
  },
  has: (target, key) => Reflect.has(load(target), key),
  ownKeys: (target) => Reflect.ownKeys(load(target)),
  getOwnPropertyDescriptor: (target, key) => {
    const d = Reflect.getOwnPropertyDescriptor(load(target), key)
    // The target's own `length` cannot be reported as another value's unless writable and not configurable, as it is.
    return d === undefined ? undefined : { ...d, configurable: key === "length" ? false : true }
  }
}

/** The run record of the checkpoint line at `at` (written by this process, so decoded as it was written). */
const readLine = (fd: number, path: string, at: LineAt): RunResult => {
  const bytes = Buffer.alloc(at.length)
  for (let got = 0; got < at.length; ) {
    const n = nodeFs.readSync(fd, bytes, got, at.length - got, at.offset + got)
    if (n === 0) throw new Error(`checkpoint ${path} ends before its line at byte ${at.offset}`)
    got += n
  }
  const line = JSON.parse(bytes.toString("utf8")) as { type?: unknown; result?: RunResult }
  if (line.type !== "run" || line.result === undefined) throw new Error(`checkpoint ${path}: the line at byte ${at.offset} is not a run`)
  return line.result
}
