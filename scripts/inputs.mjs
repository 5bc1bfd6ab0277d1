// What a build of dist/ reads: its hash decides whether `prepare` must build again.
import { createHash } from "node:crypto"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"

const FILES = ["package.json", "package-lock.json", "tsconfig.json", "scripts/build.mjs", "scripts/inputs.mjs"]

const sources = async (dir) =>
  (await readdir(dir, { withFileTypes: true, recursive: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name))

export const inputsHash = async () => {
  const hash = createHash("sha256")
  for (const file of [...FILES, ...(await sources("src"))].sort()) {
    hash.update(`${file}\0`)
    hash.update(await readFile(file).catch(() => ""))
    hash.update("\0")
  }
  return hash.digest("hex")
}
