// Runs the built CLI inside this process and, as it exits, writes this process's own resource
// usage (CPU and peak RSS of the harness, not of the programs it spawned) to the file named first.
// Usage: node bench/measure-cli.mjs OUT.json [ilo-bench arguments...]
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const [out, ...args] = process.argv.slice(2)
const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))
process.on("exit", () => {
  const u = process.resourceUsage()
  writeFileSync(out, JSON.stringify({ userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000, maxRssKb: u.maxRSS }))
})
process.argv = [process.argv[0], bin, ...args]
await import(bin)
