// What the sandbox costs per attempt: the same trivial program run N times, one after another, on
// the program host (dist/programHost.js) with the bwrap sandbox and without, in alternated rounds.
// Reports the wall time per program (what an attempt waits for) and the CPU per program of the
// host and everything it ran (bwrap and the program included).
// Usage: npm run build && node bench/sandbox-cost.mjs [N=200] [ROUNDS=3]
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const n = Number(process.argv[2] ?? 200)
const rounds = Number(process.argv[3] ?? 3)
const here = fileURLToPath(new URL(".", import.meta.url))
const host = join(here, "..", "dist", "programHost.js")
const work = mkdtempSync(join(tmpdir(), "ilo-bench-sandbox-cost-"))
const bwrap = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"].find(existsSync)
if (bwrap === undefined) throw new Error("bwrap is not installed")
// As the harness asks for it (src/services/ProgramRunner.ts): the default limits, nobody under root.
const sandbox = {
  bwrap,
  limits: { memoryBytes: 2 * 1024 ** 3, processes: 256, fileBytes: 64 * 1024 ** 2 },
  ...(process.getuid() === 0 ? { runAs: { uid: 65534, gid: 65534 } } : {})
}

const measure = (sandboxed) =>
  new Promise((resolve, reject) => {
    const usageFile = join(work, `usage-${sandboxed}-${Math.random()}`)
    const child = spawn(process.execPath, ["-r", join(here, "host-usage.cjs"), host], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { PATH: process.env.PATH, TMPDIR: work, ILO_BENCH_HOST_USAGE: usageFile }
    })
    let buffered = ""
    let done = 0
    const walls = []
    let sentAt = 0
    const send = () => {
      sentAt = performance.now()
      const request = { command: ["/bin/bash", "{file}"], timeoutMs: 10_000, program: { source: "echo hi\n", extension: ".sh" }, ...(sandboxed ? { sandbox } : {}) }
      child.stdin.write(JSON.stringify({ id: done, request }) + "\n")
    }
    child.stdout.on("data", (chunk) => {
      buffered += chunk
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        const answer = JSON.parse(buffered.slice(0, end))
        buffered = buffered.slice(end + 1)
        if (answer.run?.stdout !== "hi\n") return reject(new Error(`unexpected answer: ${JSON.stringify(answer)}`))
        walls.push(performance.now() - sentAt)
        if (++done < n) send()
        else child.stdin.end()
      }
    })
    child.on("error", reject)
    child.on("exit", () => {
      const u = JSON.parse(readFileSync(usageFile, "utf8").trim())
      walls.sort((a, b) => a - b)
      resolve({
        wall_ms_median: +walls[Math.floor(walls.length / 2)].toFixed(1),
        wall_ms_p90: +walls[Math.floor(walls.length * 0.9)].toFixed(1),
        cpu_ms_per_program: +((u.userMs + u.systemMs + u.childUserMs + u.childSystemMs) / n).toFixed(2)
      })
    })
    send()
  })

const results = { n, rounds, loadavg_at_start: loadavg().map((x) => +x.toFixed(2)), none: [], bwrap: [] }
try {
  for (let r = 0; r < rounds; r++) {
    results.none.push(await measure(false))
    results.bwrap.push(await measure(true))
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
results.loadavg_at_end = loadavg().map((x) => +x.toFixed(2))
console.log(JSON.stringify(results, null, 2))
