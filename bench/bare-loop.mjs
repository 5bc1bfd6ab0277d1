// The floor the harness is compared with: a loop that only writes each program to a fresh
// directory, spawns it the way the harness does, collects its output and compares it.
// Usage: node bench/bare-loop.mjs OUT.json RUNS COMMAND...   ({file} in COMMAND is the program's path)
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { usage } from "./usage.cjs"

const [out, runsText, ...command] = process.argv.slice(2)
const runs = Number(runsText)
let working = 0
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), "bare-loop-"))
  const file = join(dir, "program.ilo")
  writeFileSync(file, `echo ${i}\n`)
  const [bin, ...rest] = command.map((part) => part.replaceAll("{file}", file))
  const stdout = await new Promise((resolve, reject) => {
    // The environment the harness gives a program (src/services/programProcess.ts): LANG included,
    // since a locale costs bash about 0.7 ms to load and that is the program's cost, not the harness's.
    const env = { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: process.env.LANG ?? "C.UTF-8", HOME: dir, ILO_BENCH_HOST: String(process.pid) }
    const child = spawn(bin, rest, { cwd: dir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
    let text = ""
    child.stdout.on("data", (c) => (text += c))
    child.stderr.on("data", () => {})
    child.on("error", reject)
    child.on("close", () => resolve(text))
  })
  if (stdout.trim() === String(i)) working++
  rmSync(dir, { recursive: true, force: true })
}
writeFileSync(out, JSON.stringify({ ...usage(), working }))
