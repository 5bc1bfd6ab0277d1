import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** Every scratch directory a test makes (through os.tmpdir()) goes under one, removed when the run ends. */
export default function setup() {
  const dir = mkdtempSync(join(tmpdir(), "ilo-bench-tests-"))
  process.env.TMPDIR = dir
  // Checkpoint signing keys too: the tests leave nothing in the home directory of whoever runs them.
  process.env.XDG_STATE_HOME = join(dir, "state")
  return () => rmSync(dir, { recursive: true, force: true })
}
