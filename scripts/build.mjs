// Bundles the CLI: one parse of the code it needs instead of thousands of module files, so
// `ilo-bench` starts fast; the model SDKs are split into chunks loaded only by commands that call a model.
import { build } from "esbuild"
import { chmod, rm } from "node:fs/promises"

await rm("dist", { recursive: true, force: true })
await build({
  // The program host is a second entry: the small process that starts generated programs.
  entryPoints: ["src/bin.ts", "src/programHost.ts"],
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  // Some CommonJS dependencies require() Node built-ins; give the ESM bundle a require.
  banner: { js: "import { createRequire as __ilo_bench_require } from 'node:module'; const require = __ilo_bench_require(import.meta.url);" }
})
await chmod("dist/bin.js", 0o755)
