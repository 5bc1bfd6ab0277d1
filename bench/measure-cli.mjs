// Runs the built CLI inside this process and, as it exits, writes its resource usage to the file
// named first: CPU and peak RSS of the harness process, and the CPU of its reaped children (the
// program host and the programs).
// Usage: node bench/measure-cli.mjs OUT.json [ilo-bench arguments...]
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { usage } from "./usage.mjs"

const [out, ...args] = process.argv.slice(2)
const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))
process.on("exit", () => writeFileSync(out, JSON.stringify(usage())))
process.argv = [process.argv[0], bin, ...args]
await import(bin)
