import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The installed package's root: the nearest folder above this code whose package.json is ilo-bench's. */
const findRoot = (from: string): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json")
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "ilo-bench") return dir
    if (dirname(dir) === dir) return from
  }
}

export const packageRoot = findRoot(dirname(fileURLToPath(import.meta.url)))

export const HARNESS_VERSION = "0.1.0"
