import { spawn } from "node:child_process"
import { tmpdir } from "node:os"
import { fileURLToPath } from "node:url"

export const root = fileURLToPath(new URL("../../", import.meta.url))
export const binPath = fileURLToPath(new URL("../../dist/bin.js", import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the built CLI as a user would, with no stdin, and only the environment given (plus PATH). */
/** Where the tests keep checkpoint signing keys (set by the global setup), passed on to the CLI. */
const stateHome = (): Record<string, string> => (process.env.XDG_STATE_HOME ? { XDG_STATE_HOME: process.env.XDG_STATE_HOME } : {})

export const runCli = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly cwd?: string; readonly onSpawn?: (pid: number) => void } = {}
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: options.cwd ?? root,
      // TMPDIR: whatever a killed CLI leaves goes with the tests' scratch directory.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", TMPDIR: tmpdir(), ...stateHome(), ...options.env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c) => (stdout += c))
    child.stderr.on("data", (c) => (stderr += c))
    child.on("error", reject)
    if (child.pid !== undefined) options.onSpawn?.(child.pid)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
