import { mkdirSync, statSync } from "node:fs"
import { dirname, resolve } from "node:path"

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** A directory made here, or the path's own kind of failure: `reason` is one line for the user. */
export type MadeDirectory = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * `mkdir -p`, a level at a time. Node's recursive mkdir spins for ever on a path it cannot create
 * (one under /proc), so an --output-dir there hung the CLI at full CPU.
 */
export const makeDirectories = (dir: string): MadeDirectory => {
  const target = resolve(dir)
  const missing: Array<string> = []
  try {
    for (let d = target; ; d = dirname(d)) {
      let directory: boolean
      try {
        directory = statSync(d).isDirectory()
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        // ENOTDIR: a file above it, which the walk up finds and names.
        if ((code !== "ENOENT" && code !== "ENOTDIR") || dirname(d) === d) throw error
        missing.push(d)
        continue
      }
      if (!directory) return { ok: false, reason: d === target ? "the output directory is a file" : `${d} is a file, not a directory` }
      break
    }
    for (const d of missing.reverse()) {
      try {
        mkdirSync(d)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
        // Made meanwhile, or a symbolic link to nowhere: only a directory will do.
        if (!isDirectory(d)) return { ok: false, reason: `${d} is not a directory` }
      }
    }
    return { ok: true }
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  }
}
