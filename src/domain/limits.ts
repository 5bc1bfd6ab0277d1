import { Schema } from "effect"

/**
 * The largest numbers ilo-bench takes from a flag or a file, because reports lay out a column, a
 * curve point or a plan entry for each: `--retry-cap 1000000` or a saved result with `trial: 1e9`
 * ran V8 out of memory. Far above any benchmark worth paying for (the seed's cap is 5).
 */
export const MAX_RETRY_CAP = 100
export const MAX_TRIALS = 1000

const wholeNumber = (max: number) =>
  Schema.Number.pipe(
    Schema.filter((n) => (Number.isInteger(n) && n >= 1 && n <= max) || `must be a whole number from 1 to ${max}, got ${n}`)
  )

/** A run's trial, 1-based. */
export const TrialNumber = wholeNumber(MAX_TRIALS)
/** An attempt's number, or a retry cap: attempts of one run. */
export const AttemptNumber = wholeNumber(MAX_RETRY_CAP)
/** How many attempts a run took: none when the model was never reached. */
export const AttemptCount = Schema.Number.pipe(
  Schema.filter((n) => (Number.isInteger(n) && n >= 0 && n <= MAX_RETRY_CAP) || `must be a whole number from 0 to ${MAX_RETRY_CAP}, got ${n}`)
)

/** How deep a JSON value read from a file may nest: ilo-bench's own files nest under ten levels. */
export const MAX_JSON_DEPTH = 64

/**
 * Whether a parsed JSON value nests deeper than `max`: decoding one nested 200,000 levels deep ran
 * out of stack (a RangeError) where it should be one line saying what is wrong with the file. Walked
 * without recursion, so that the check itself cannot overflow.
 */
export const nestedDeeperThan = (value: unknown, max: number = MAX_JSON_DEPTH): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [next, depth] = stack.pop()!
    if (typeof next !== "object" || next === null) continue
    if (depth > max) return true
    for (const child of Array.isArray(next) ? next : Object.values(next)) stack.push([child, depth + 1])
  }
  return false
}

/** A task id: also the name of its reference solution's file, so nothing that could leave a directory or hide. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
