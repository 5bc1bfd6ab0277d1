/** Python's repr of a float, as the seed printed numbers: 4 -> "4.0", 4.12 -> "4.12". */
export const pyFloat = (x: number) => (Number.isInteger(x) ? `${x}.0` : String(x))

/** US dollars to `digits` places, the sign before the "$" ("-$0.0002"), and no "-$0.0000" for a tiny negative. */
export const dollars = (x: number, digits: number) => {
  const text = Math.abs(x).toFixed(digits)
  return `${x < 0 && Number(text) !== 0 ? "-" : ""}$${text}`
}

/**
 * Python's `format(x, f".{digits}f")`: as toFixed, but an exact tie (0.25 to one place) goes to
 * the even digit (0.2) where toFixed goes up (0.3). Ties are common: times are already rounded to 2 places.
 */
export const pyFixed = (x: number, digits: number) => {
  const up = x.toFixed(digits)
  const [whole = "", fraction = ""] = Math.abs(x).toFixed(Math.min(100, digits + 40)).split(".")
  const rest = fraction.slice(digits)
  const tie = rest.length > 0 && rest[0] === "5" && /^0*$/.test(rest.slice(1))
  if (!tie || Number(up.at(-1)) % 2 === 0) return up
  const kept = fraction.slice(0, digits)
  return `${x < 0 ? "-" : ""}${whole}${digits > 0 ? `.${kept}` : ""}`
}

/** Python's repr() of a string, as the seed printed a task's expected output in a dry run. */
export const pyRepr = (text: string) => {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of text) {
    const code = ch.codePointAt(0)!
    if (ch === "\\" || ch === quote) out += "\\" + ch
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (ch !== " " && /[\p{C}\p{Z}]/u.test(ch))
      out += code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : code < 0x10000 ? `\\u${code.toString(16).padStart(4, "0")}` : `\\U${code.toString(16).padStart(8, "0")}`
    else out += ch
  }
  return out + quote
}

/** The first `n` characters as Python counts them (code points): an emoji is one, not two. */
export const pyPrefix = (text: string, n: number) => Array.from(text).slice(0, n).join("")

export const padLeft = (text: string, width: number) => text.padStart(width)
export const padRight = (text: string, width: number) => text.padEnd(width)

/** The seed's "attempts to success" cell: the count, or "-" when the run never worked. */
export const attemptsCell = (attemptsToSuccess: number | null) =>
  attemptsToSuccess ? String(attemptsToSuccess) : "-"

// Control characters (tab and newlines aside) and bidirectional overrides: invisible in a browser,
// acted on by a terminal that prints the file (OSC 52 sets the clipboard), and an override shows a
// program in another order than it ran.
const HTML_CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g
const visibleControl = (c: string) => {
  const code = c.charCodeAt(0)
  return code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? "\u2421" : `[U+${code.toString(16).toUpperCase().padStart(4, "0")}]`
}

/** Text into HTML or SVG, safely: markup escaped, control characters shown as symbols (␛ for ESC). */
export const esc = (text: string) =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")
    .replace(HTML_CONTROLS, visibleControl)

/**
 * What a terminal would act on rather than show: escape sequences (CSI such as clear-screen, OSC
 * such as OSC 52 that sets the clipboard, and the rest), the other C0 and C1 control characters
 * but tab and newline (a carriage return lets a line overwrite itself), DEL, and the bidirectional
 * overrides that show text in another order than it is.
 */
const TERMINAL_CONTROLS =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -~]?|\x9b[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g

/** Text from outside (an API's error, a program's output, a tasks file) as it may reach a terminal or a Markdown cell. */
export const withoutControls = (text: string) => text.replace(TERMINAL_CONTROLS, "")

/**
 * Text from a tasks file, a model or a program, safe in Markdown: a "|" would end a table cell, a
 * "<" could open HTML, a newline would end the line, a control character would reach the terminal
 * of whoever prints the file. Backslashes are doubled so that none escapes.
 */
export const mdText = (text: string) =>
  withoutControls(text.replace(/\r\n?/g, "\n")).replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/\s*[\r\n]+\s*/g, " ")

/** A Markdown table; every cell passes through mdText. */
export const mdTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) => [
  `| ${header.map(mdText).join(" | ")} |`,
  `|${header.map(() => "---").join("|")}|`,
  ...rows.map((r) => `| ${r.map(mdText).join(" | ")} |`)
]

/**
 * x to `digits` places, except that a value short of `top` (or above 0) never reads as `top` (or
 * 0): it reads ">0.999" (or "<0.001"). A rate of 1999 in 2000 is not 100%.
 */
export const fixedShort = (x: number, digits: number, top = 1) => {
  const text = x.toFixed(digits)
  const step = (10 ** -digits).toFixed(digits)
  if (x > 0 && x < top && Number(text) === 0) return `<${step}`
  if (x > 0 && x < top && Number(text) === top) return `>${(top - 10 ** -digits).toFixed(digits)}`
  return text
}

/** Whole percents, except that a rate short of 100% (or above 0%) never reads as 100% (or 0%): 199 of 200 is 99.5%. */
export const percentShort = (x: number) => {
  const whole = fixedShort(x * 100, 0, 100)
  return `${/^[<>]/.test(whole) ? fixedShort(x * 100, 1, 100) : whole}%`
}

/** Unique values in first-seen order. */
export const distinct = <A>(values: Iterable<A>): Array<A> => [...new Set(values)]

/**
 * Thousands separators for whole numbers (every count this program prints) by hand: an
 * `Intl.NumberFormat` loads its locale data when first made (~20 ms, once a process) and
 * `toLocaleString` sets one up on every call (~0.1 ms). Anything else goes to one formatter.
 */
let enUs: Intl.NumberFormat | undefined

/** 1234567 -> "1,234,567", as `toLocaleString("en-US")` writes it. */
export const groupDigits = (n: number) => {
  if (!Number.isInteger(n) || Math.abs(n) >= 1e21) return (enUs ??= new Intl.NumberFormat("en-US")).format(n)
  const digits = String(Math.abs(n))
  let grouped = digits.slice(0, ((digits.length - 1) % 3) + 1)
  for (let i = grouped.length; i < digits.length; i += 3) grouped += "," + digits.slice(i, i + 3)
  return n < 0 || Object.is(n, -0) ? "-" + grouped : grouped
}

/** Any text as one line of at most `max` characters: a message quoting a file or a response body may hold newlines. */
export const oneLine = (text: string, max = 200) => {
  const line = withoutControls(text.replace(/\r\n?/g, "\n")).replace(/\s*\n\s*/g, " ").trim()
  return line.length > max ? line.slice(0, max - 1) + "…" : line
}

/** What the model API answered when a run ended in "error": "auth 401", "connection", ... */
export const apiFailureCause = (failure: { readonly kind: string; readonly status: number | null }) =>
  failure.status !== null ? `${failure.kind} ${failure.status}` : failure.kind

/** How many runs each cause ended, most first: "auth 401 ×12, connection ×2". */
export const causeCounts = (failures: ReadonlyArray<{ readonly kind: string; readonly status: number | null }>) => {
  const counts = new Map<string, number>()
  for (const f of failures) {
    const cause = apiFailureCause(f)
    counts.set(cause, (counts.get(cause) ?? 0) + 1)
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([cause, n]) => `${cause} ×${n}`).join(", ")
}
