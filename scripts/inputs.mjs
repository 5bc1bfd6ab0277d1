// What a build of dist/ reads: its hash decides whether `prepare` must build again.
import { createHash } from "node:crypto"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"

const FILES = ["package.json", "package-lock.json", "tsconfig.json", "scripts/build.mjs", "scripts/inputs.mjs"]

/** Every file under `dir`, walked by hand: readdir's `recursive` is not in every Node 20. */
const sources = async (dir) => {
  const files = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) files.push(...(await sources(path)))
    else if (e.isFile()) files.push(path)
  }
  return files
}

export const inputsHash = async () => {
  const hash = createHash("sha256")
  for (const file of [...FILES, ...(await sources("src"))].sort()) {
    hash.update(`${file}\0`)
    hash.update(await readFile(file).catch(() => ""))
    hash.update("\0")
  }
  return hash.digest("hex")
}
