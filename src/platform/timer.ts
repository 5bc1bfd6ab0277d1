/** The longest delay a Node timer keeps: past it, setTimeout fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A time limit in milliseconds as a timer can hold it; null for none (infinite, or longer than a
 * timer holds). Plain Node, no Effect: the program host uses it too.
 */
export const timerMillis = (ms: number): number | null => (Number.isFinite(ms) && ms <= MAX_TIMER_MS ? ms : null)
