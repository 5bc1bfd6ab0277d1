// Bundles the CLI: one parse of the code it needs instead of thousands of module files, so
// `ilo-bench` starts fast. Three files:
//   dist/cli.cjs         the CLI (src/main.ts), one CommonJS script so that V8 can cache its compiled code
//   dist/bin.js          the command (src/bin.ts): runs cli.cjs through that cache
//   dist/programHost.js  the small process that starts generated programs (src/programHost.ts)
import { build } from "esbuild"
import { createHash } from "node:crypto"
import { chmod, readFile, rm } from "node:fs/promises"

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning"
}

await rm("dist", { recursive: true, force: true })
await build({
  ...common,
  entryPoints: ["src/main.ts"],
  outfile: "dist/cli.cjs",
  format: "cjs",
  // paths.ts finds the package from its own location.
  define: { "import.meta.url": "__ilo_bench_url" },
  banner: { js: "const __ilo_bench_url = require('node:url').pathToFileURL(__filename).href;" }
})
const cliBuild = createHash("sha256").update(await readFile("dist/cli.cjs")).digest("hex").slice(0, 16)
await build({ ...common, entryPoints: ["src/bin.ts"], outfile: "dist/bin.js", format: "esm", define: { CLI_BUILD: JSON.stringify(cliBuild) } })
await build({ ...common, entryPoints: ["src/programHost.ts"], outfile: "dist/programHost.js", format: "esm" })
await chmod("dist/bin.js", 0o755)
