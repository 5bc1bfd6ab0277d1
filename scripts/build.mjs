// Bundles the CLI: one parse of the code it needs instead of thousands of module files, so
// `ilo-bench` starts fast. Three files:
//   dist/cli.cjs         the CLI (src/main.ts), one CommonJS script so that V8 can cache its compiled code
//   dist/bin.js          the command (src/bin.ts): runs cli.cjs through that cache
//   dist/programHost.js  the small process that starts generated programs (src/services/programHost.ts)
//
// It builds into a directory of its own and then swaps it for dist/, so that an ilo-bench already
// running from this checkout (its program host is started from dist/) never sees dist/ half-written.
// dist/.inputs holds the hash of what the build read (scripts/inputs.mjs): `prepare` skips a build
// that would change nothing.
import { build } from "esbuild"
import { createHash } from "node:crypto"
import { chmod, readdir, readFile, rename, rm, writeFile } from "node:fs/promises"
import { inputsHash } from "./inputs.mjs"

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning"
}

// Hashed before building: a source saved during the build must make the next prepare build again.
const inputs = await inputsHash()
const out = `dist.new-${process.pid}`
// What a build that was killed left behind (its pid is gone); a build still running keeps its own.
const gone = (pid) => {
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return error.code === "ESRCH"
  }
}
for (const name of await readdir(".")) {
  const owner = /^dist\.(?:new|old)-(\d+)$/.exec(name)?.[1]
  if (owner !== undefined && (Number(owner) === process.pid || gone(Number(owner)))) await rm(name, { recursive: true, force: true })
}
await build({
  ...common,
  entryPoints: ["src/main.ts"],
  outfile: `${out}/cli.cjs`,
  format: "cjs",
  // paths.ts finds the package from its own location.
  define: { "import.meta.url": "__ilo_bench_url" },
  banner: { js: "const __ilo_bench_url = require('node:url').pathToFileURL(__filename).href;" }
})
const cliBuild = createHash("sha256").update(await readFile(`${out}/cli.cjs`)).digest("hex").slice(0, 16)
await build({ ...common, entryPoints: ["src/bin.ts"], outfile: `${out}/bin.js`, format: "esm", define: { CLI_BUILD: JSON.stringify(cliBuild) } })
await build({ ...common, entryPoints: ["src/services/programHost.ts"], outfile: `${out}/programHost.js`, format: "esm" })
await chmod(`${out}/bin.js`, 0o755)
await writeFile(`${out}/.inputs`, `${inputs}\n`)
const old = `dist.old-${process.pid}`
await rename("dist", old).catch((error) => {
  if (error.code !== "ENOENT") throw error
})
await rename(out, "dist")
await rm(old, { recursive: true, force: true })
