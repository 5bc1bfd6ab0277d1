import { setFlagsFromString } from "node:v8"

/**
 * How far V8 lets the heap grow past what was live after a full collection, in percent, for a long
 * benchmark and its reports. V8's own choice on a machine with memory to spare is up to 4 times
 * the live heap: a benchmark keeps about 100 MB live (most of it the tokenizers' vocabularies),
 * and its resident size rose to 420 MB at 10,000 runs before a full collection brought the heap
 * back to about 110 MB (bench/README.md). With 40 % the peak at 10,000 runs was 274 MB, and a replay
 * of the reports of 100,000 runs peaked 24 MB lower with 20 % than with 40 %, for the same CPU time
 * (within the noise): a full collection of that heap costs tens of milliseconds, mostly on V8's
 * helper threads.
 */
export const HEAP_GROWTH_PERCENT = 20

let bounded = false

/** Bounds the heap's growth for the rest of the process (V8 reads the setting at each full collection); called by the command's entry, src/bin.ts, for every command. */
export const boundHeapGrowth = () => {
  if (bounded) return
  bounded = true
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWTH_PERCENT}`)
}
