/** Python's repr of a float, as the seed printed numbers: 4 -> "4.0", 4.12 -> "4.12". */
export const pyFloat = (x: number) => (Number.isInteger(x) ? `${x}.0` : String(x))

export const padLeft = (text: string, width: number) => text.padStart(width)
export const padRight = (text: string, width: number) => text.padEnd(width)

/** The seed's "attempts to success" cell: the count, or "-" when the run never worked. */
export const attemptsCell = (attemptsToSuccess: number | null) =>
  attemptsToSuccess ? String(attemptsToSuccess) : "-"

/** Text into HTML or SVG, safely. */
export const esc = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

/** Unique values in first-seen order. */
export const distinct = <A>(values: Iterable<A>): Array<A> => [...new Set(values)]

/**
 * One formatter for every thousands separator: `toLocaleString` sets one up on each call (~0.1 ms,
 * paid per progress line and per report cell). Made on first use, since making it loads the locale
 * data (~20 ms), which `--help` need not pay.
 */
let enUs: Intl.NumberFormat | undefined

/** 1234567 -> "1,234,567", as `toLocaleString("en-US")` writes it. */
export const groupDigits = (n: number) => (enUs ??= new Intl.NumberFormat("en-US")).format(n)
