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
