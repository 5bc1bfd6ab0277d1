import * as nodeFs from "node:fs"
import type { RunResult } from "../domain/Result.js"
import type { LineAt } from "../services/Checkpoint.js"

/**
 * A finished run as the session holds it until the reports: its totals in memory, its attempts
 * (every program and every error sent back, most of a result's size) left in its checkpoint line
 * and read back from there each time a report asks for them, one run at a time. A benchmark of
 * 100,000 runs then holds 100,000 sets of totals, not 100,000 transcripts. `attempts` stays a
 * field, last as in the record, holding an array that reads itself from the line on each use
 * (a Proxy: a getter per run instead would give every run a hidden class of its own), so that
 * JSON.stringify and the report renderers see the record unchanged.
 */
export const attemptsOnDisk = (result: RunResult, path: string, at: LineAt): RunResult => {
  const { attempts: _inMemory, ...totals } = result
  return { ...totals, attempts: new Proxy<Array<RunResult["attempts"][number]>>([], onDisk(path, at)) }
}

let last: { readonly path: string; readonly at: LineAt; readonly attempts: RunResult["attempts"] } | undefined

/** Every use of the array reads it from the line: held only while it is used. */
const onDisk = (path: string, at: LineAt): ProxyHandler<Array<RunResult["attempts"][number]>> => {
  const load = () => {
    // A report goes through one run's attempts at a time: the last run read answers the next uses.
    if (last === undefined || last.path !== path || last.at !== at) last = { path, at, attempts: readRunLine(path, at).attempts }
    return last.attempts as Array<RunResult["attempts"][number]>
  }
  return {
    get: (_, key) => {
      const attempts = load()
      const value = Reflect.get(attempts, key)
      return typeof value === "function" ? value.bind(attempts) : value
    },
    has: (_, key) => Reflect.has(load(), key),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(load(), key)
      // The target's own `length` cannot be reported as another value's unless writable and not configurable, as it is.
      return d === undefined ? undefined : { ...d, configurable: key === "length" ? false : true }
    }
  }
}

/** The run record of the checkpoint line at `at` (written by this process, so decoded as it was written). */
const readRunLine = (path: string, at: LineAt): RunResult => {
  const bytes = Buffer.alloc(at.length)
  const fd = nodeFs.openSync(path, "r")
  try {
    for (let got = 0; got < at.length; ) {
      const n = nodeFs.readSync(fd, bytes, got, at.length - got, at.offset + got)
      if (n === 0) throw new Error(`checkpoint ${path} ends before its line at byte ${at.offset}`)
      got += n
    }
  } finally {
    nodeFs.closeSync(fd)
  }
  const line = JSON.parse(bytes.toString("utf8")) as { type?: unknown; result?: RunResult }
  if (line.type !== "run" || line.result === undefined) throw new Error(`checkpoint ${path}: the line at byte ${at.offset} is not a run`)
  return line.result
}
