import { SANDBOX_WORK } from "../services/programProcess.js"

/**
 * Where a program ran, as the model is told: one fixed path for every run.
 *
 * Each program runs in a fresh temp directory with a random name (`<tmp>/ilo-bench-XXXXXX`, inside
 * the harness's `<tmp>/ilo-bench-programs-<pid>-XXXXXX` when it runs on the program host), and
 * interpreters quote it: Python's tracebacks, Node's stack traces (also as a file:// URL), bash's
 * errors. Sent back as it is, the same program would get a different repair prompt on every run, so
 * a recording could not be replayed and no prompt cache could match it.
 */
export const FIXED_SCRATCH = SANDBOX_WORK

// Any directories before it (/tmp, /var/folders/.../T, a test's own temp dir), then the programs'
// directory of one harness process (optional), then the program's own directory, whose random
// suffix is mkdtemp's six characters.
const COMPONENT = "[^/\\s\"'`()<>:,;]+"
const SCRATCH = new RegExp(
  `(?:/${COMPONENT})*?/ilo-bench-(?:programs-\\d+-[A-Za-z0-9]{6}/ilo-bench-)?[A-Za-z0-9]{6}(?![A-Za-z0-9_-])`,
  "g"
)

/** `text` with every program scratch directory in it replaced by FIXED_SCRATCH. */
export const fixScratchPaths = (text: string): string => (text.includes("ilo-bench-") ? text.replace(SCRATCH, FIXED_SCRATCH) : text)
