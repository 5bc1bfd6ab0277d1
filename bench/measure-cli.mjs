// Runs the built CLI inside this process and, as it exits, writes its resource usage to the file
// named first: CPU and peak RSS of the harness process, the CPU of its reaped children (the program
// host and the programs), and the program host's own CPU and its programs' apart
// (`host`: one entry per host process, written as it exits).
// Usage: node bench/measure-cli.mjs OUT.json [ilo-bench arguments...]
import childProcess from "node:child_process"
import { syncBuiltinESMExports } from "node:module"
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { usage } from "./usage.cjs"

const [out, ...args] = process.argv.slice(2)
const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))
const hostHook = fileURLToPath(new URL("./host-usage.cjs", import.meta.url))
const hostUsage = `${out}.host`
rmSync(hostUsage, { force: true })

// The CLI starts its program host with child_process.spawn: the preload writes the host's usage to
// the file named by ILO_BENCH_HOST_USAGE as it exits.
const spawn = childProcess.spawn
childProcess.spawn = function (command, spawnArgs, options) {
  if (command === process.execPath && Array.isArray(spawnArgs) && String(spawnArgs.at(-1)).endsWith("programHost.js")) {
    const env = { ...options?.env, ILO_BENCH_HOST_USAGE: hostUsage }
    return spawn.call(this, command, ["-r", hostHook, ...spawnArgs], { ...options, env })
  }
  return spawn.apply(this, arguments)
}
// ...and for an ES-module build, whose imports of node:child_process would still see the original.
syncBuiltinESMExports()

// The resident size over time (every 100 ms, and at the exit): which phase of a benchmark, its runs
// or the reports after them, reaches the peak (bench/harness.mjs compares it with the last request).
const rss = []
const sample = () => { const m = process.memoryUsage(); rss.push([Math.round(performance.timeOrigin + performance.now()), Math.round(m.rss / 1024), Math.round(m.heapTotal / 1024), Math.round(m.heapUsed / 1024), Math.round(m.external / 1024), Math.round(m.arrayBuffers / 1024)]) }
setInterval(sample, 100).unref()

process.on("exit", () => {
  sample()
  const host = existsSync(hostUsage) ? readFileSync(hostUsage, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line)) : []
  writeFileSync(out, JSON.stringify({ ...usage(), host, rss }))
})
process.argv = [process.argv[0], bin, ...args]
await import(bin)
