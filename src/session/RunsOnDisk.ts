import * as nodeFs from "node:fs"
import type { RunResult } from "../domain/Result.js"
import type { LineAt } from "../services/Checkpoint.js"

/**
 * A finished run as the session holds it until the reports: its totals in memory, its attempts
 * (every program and every error sent back, most of a result's size) left in its checkpoint line
 * and read back from there each time a report asks for them, one run at a time. A benchmark of
 * 100,000 runs then holds 100,000 sets of totals, not 100,000 transcripts. `attempts` stays an
 * enumerable field, last as in the record, so that JSON.stringify writes the record unchanged.
 */
export const attemptsOnDisk = (result: RunResult, path: string, at: LineAt): RunResult => {
  const { attempts: _inMemory, ...totals } = result
  const held = { ...totals } as RunResult
  Object.defineProperty(held, "attempts", { enumerable: true, get: () => readRunLine(path, at).attempts })
  return held
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
