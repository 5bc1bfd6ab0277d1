import type { ProgramOutcome } from "../domain/Outcome.js"
import { universalNewlines } from "../domain/text.js"

// Python's str.isspace() set, so that strip() here trims exactly what the seed's did.
const PY_SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
const LEADING = new RegExp(`^${PY_SPACE}+`, "u")
const TRAILING = new RegExp(`${PY_SPACE}+$`, "u")

/** Python's `str.strip()` with no arguments. */
export const pyStrip = (text: string) => text.replace(LEADING, "").replace(TRAILING, "")

/** The seed's expected output: the two characters `\n` stand for a newline. */
export const normaliseExpected = (expected: string) => pyStrip(expected.replaceAll("\\n", "\n"))

/** Non-zero exit (or a kill): failed; stripped stdout equal to the expected output: working; else partial. */
export const classify = (expected: string, run: { readonly exitCode: number | null; readonly stdout: string }): ProgramOutcome => {
  if (run.exitCode !== 0) return "failed"
  return pyStrip(universalNewlines(run.stdout)) === normaliseExpected(expected) ? "working" : "partial"
}

export const ERROR_DETAIL_CHARS = 1000

/** What goes back to the model: `(stderr or stdout or "(no output)").strip()[:1000]`, in code points as Python counts. */
export const errorDetail = (run: { readonly stdout: string; readonly stderr: string; readonly timedOut: boolean }) => {
  // The seed replaced a timed-out program's output with the word "timeout".
  const stderr = run.timedOut ? "timeout" : universalNewlines(run.stderr)
  const stdout = run.timedOut ? "" : universalNewlines(run.stdout)
  const chosen = stderr !== "" ? stderr : stdout !== "" ? stdout : "(no output)"
  return Array.from(pyStrip(chosen)).slice(0, ERROR_DETAIL_CHARS).join("")
}
