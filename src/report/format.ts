/** Python's repr of a float, as the seed printed numbers: 4 -> "4.0", 4.12 -> "4.12". */
export const pyFloat = (x: number) => (Number.isInteger(x) ? `${x}.0` : String(x))

export const padLeft = (text: string, width: number) => text.padStart(width)
export const padRight = (text: string, width: number) => text.padEnd(width)

/** The seed's "attempts to success" cell: the count, or "-" when the run never worked. */
export const attemptsCell = (attemptsToSuccess: number | null) =>
  attemptsToSuccess ? String(attemptsToSuccess) : "-"

/** Unique values in first-seen order. */
export const distinct = <A>(values: Iterable<A>): Array<A> => [...new Set(values)]
