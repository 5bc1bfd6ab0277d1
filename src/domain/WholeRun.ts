import type { RunResult } from "./Result.js"

/**
 * A run that a report holds as a few fields and reads the rest of from its checkpoint line
 * (services/RunsOnDisk.ts) answers this key with the whole record read from there; any other run
 * has no such key. Here, below both the session and the reports, as both use it.
 */
export const WHOLE_RUN = Symbol("the whole run")

/** The run's whole record: read from its line for a run held on disk, the run itself otherwise. */
export const wholeRun = (r: RunResult): RunResult => (r as RunResult & { [WHOLE_RUN]?: RunResult })[WHOLE_RUN] ?? r
