// The floor of the scheduling-efficiency measure (bench/harness.mjs): a bare client that does,
// per attempt, only what the CLI cannot avoid doing, with none of its code (no Effect, no SDK, no
// reports) but bwrap's arguments, taken from it so that a program's sandbox is the CLI's. The
// harness runs it exactly as it runs the CLI, against the same scripted model server, and times it
// the same way (from the server's first request to this process's close), so that the CLI's
// efficiency can be read against what this machine allows at that moment.
//
// Per attempt (16 model requests at once, CONCURRENCY; see the scheduling below):
//   1. one POST to the model server, keep-alive, a body shaped as the CLI's (the system prompt and
//      the skill docs as system blocks, the docs marked for the cache; the task as the user message);
//   2. the reply parsed, its program taken from it, a line appended to the checkpoint file;
//   3. (unless no-programs) the program sent to the program host (bench/floor-host.mjs, one Node
//      child speaking JSON lines, as the CLI's), which writes it to a fresh directory and runs
//      `ilo FILE main` with the stand-in ilo, in bubblewrap when the sandbox is on; at most as
//      many programs at once as there are CPUs (the CLI's --program-concurrency default);
//      its stdout compared with the expected output, a second line appended to the checkpoint;
//   4. one progress line written to stderr.
// Then a small JSON file (OUT) is written and the process exits.
// Start-up (the skill docs read through `ilo skill get`, the host started and one program run on
// it) comes before the first request, as the CLI's does, and so is outside the measure.
//
// Usage: node bench/floor-client.mjs OUT.json URL ILO TASKS_FILE CONCURRENCY programs|no-programs auto|bwrap|none SANDBOX_MODULE
// (SANDBOX_MODULE: the URL of src/services/programProcess.ts bundled, whose bwrapArgs the host uses)
import { spawn, spawnSync } from "node:child_process"
import { chmodSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs"
import { Agent } from "node:http"
import { availableParallelism, tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { postJson } from "./post-json.mjs"

const [out, url, ilo, tasksFile, concurrencyText, mode, sandboxMode, sandboxModule] = process.argv.slice(2)
const withPrograms = mode === "programs"
const concurrency = Number(concurrencyText)
const tasks = JSON.parse(readFileSync(tasksFile, "utf8")).tasks
const work = mkdtempSync(join(tmpdir(), "floor-client-"))

// ---- start-up (not measured) --------------------------------------------------------------------

const MODULES = ["ilo-language", "ilo-builtins-core", "ilo-builtins-text", "ilo-builtins-math", "ilo-builtins-io"]
const docs = MODULES.map((m) => spawnSync(ilo, ["skill", "get", m], { encoding: "utf8" }).stdout).join("\n")
// About as long as the CLI's system prompt; the server needs its first words to answer with bash.
const SYSTEM = [
  "You are an ilo programming language expert. Given a task description and the",
  "relevant ilo skill documentation, write a complete, runnable ilo program that",
  "solves the task. The program must be valid ilo. Its first line is a comment",
  "naming the function to run; when the task gives an expected output, a second",
  "comment states it. Keep it short, mock anything that needs a network, and",
  "answer with the program alone: no explanation and no markdown fences.",
  ""
].join("\n")

/** The sandbox as the host is told it (bench/floor-host.mjs), or null: bwrap where the mode asks for it and it is installed. */
const sandboxSpec = () => {
  if (sandboxMode === "none" || process.platform !== "linux") return null
  const bwrap = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"].find(existsSync)
  if (bwrap === undefined) return null
  // Programs never run as root: as root, bwrap runs as nobody, and ilo is copied where nobody can read it.
  const root = process.getuid() === 0
  let copy = ilo
  if (root) {
    const dir = mkdtempSync(join("/tmp", "floor-ilo-"))
    chmodSync(dir, 0o755)
    copy = join(dir, "ilo")
    copyFileSync(ilo, copy)
    chmodSync(copy, 0o755)
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }))
  }
  return { bwrap, module: sandboxModule, ilo: [ilo, copy], limits: { memoryBytes: 2 * 1024 ** 3, processes: 256, fileBytes: 64 * 1024 ** 2 }, ...(root ? { runAs: { uid: 65534, gid: 65534 } } : {}) }
}

/** Starts the host; resolves once it has run one program, with a function that runs the next. */
const startHost = (sandbox) =>
  new Promise((resolve, reject) => {
    const hostFile = fileURLToPath(new URL("./floor-host.mjs", import.meta.url))
    const env = { PATH: process.env.PATH, TMPDIR: work, ...(process.env.LANG ? { LANG: process.env.LANG } : {}), ...(sandbox ? { BENCH_FLOOR_SANDBOX: JSON.stringify(sandbox) } : {}) }
    const host = spawn(process.execPath, [hostFile], { stdio: ["pipe", "pipe", "inherit"], env })
    host.on("error", reject)
    const pending = new Map()
    let next = 0
    const runProgram = (source) =>
      new Promise((done) => {
        const id = next++
        pending.set(id, done)
        host.stdin.write(JSON.stringify({ id, source, command: [ilo, "{file}", "main"] }) + "\n")
      })
    createInterface({ input: host.stdout }).on("line", (line) => {
      const message = JSON.parse(line)
      if (message.ready) return runProgram("echo up\n").then((r) => resolve({ host, runProgram, up: r.stdout === "up\n" }))
      const done = pending.get(message.id)
      pending.delete(message.id)
      done(message)
    })
  })

let sandbox = withPrograms ? sandboxSpec() : null
let host = null
if (withPrograms) {
  host = await startHost(sandbox)
  // auto: bwrap where it runs, else none (as the CLI chooses).
  if (!host.up && sandbox !== null && sandboxMode === "auto") {
    host.host.stdin.end()
    sandbox = null
    host = await startHost(null)
  }
  if (!host.up) throw new Error(`the floor's program host could not run a program (sandbox: ${sandbox === null ? "none" : "bwrap"})`)
}

const checkpoint = openSync(join(work, "checkpoint.jsonl"), "a")
const agent = new Agent({ keepAlive: true })
const target = new URL("/v1/messages", url)

// ---- the attempts (measured) --------------------------------------------------------------------

const ask = (task) =>
  postJson(
    agent,
    target,
    JSON.stringify({
      model: "claude-haiku-4-5",
      max_tokens: 2048,
      system: [{ type: "text", text: SYSTEM }, { type: "text", text: docs, cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: `Task: ${task.description}\n\nExpected output: ${task.expected_output}\n` }]
    })
  )

/** A first-come, first-served bound: `withSlot(f)` runs f once fewer than `slots` others run. */
const bound = (slots) => {
  let busy = 0
  const queue = []
  return async (f) => {
    if (busy < slots) busy++
    else await new Promise((resolve) => queue.push(resolve))
    try {
      return await f()
    } finally {
      // The slot passes to the next one waiting, or is let go.
      const next = queue.shift()
      if (next) next()
      else busy--
    }
  }
}
// Scheduled as the CLI schedules its runs: CONCURRENCY model requests at once, each slot let go
// as its reply lands, so that the next run's request goes out while this run's program runs;
// and at most one program per CPU at once (the CLI's --program-concurrency default), since a
// program takes a core and 16 programs sharing 2 cores all end late where 2 at a time do not.
// The CLI keeps 2 x CONCURRENCY + CPUs runs under way; here every run is, which at 96 runs
// changes nothing: only the slots decide when a request or a program starts.
const modelSlot = bound(concurrency)
const programSlot = bound(availableParallelism())

let working = 0
let finished = 0
const attempt = async (task) => {
  const program = await modelSlot(async () => {
    const reply = await ask(task)
    const text = reply.content.map((b) => b.text ?? "").join("")
    writeSync(checkpoint, JSON.stringify({ type: "reply", task: task.id, program: text, usage: reply.usage }) + "\n")
    return text
  })
  let outcome = "not run"
  if (host !== null) {
    const run = await programSlot(() => host.runProgram(program + "\n"))
    outcome = run.code === 0 && run.stdout.trim() === String(task.expected_output).trim() ? "working" : "failing"
    if (outcome === "working") working++
    writeSync(checkpoint, JSON.stringify({ type: "run", task: task.id, outcome, exit_code: run.code }) + "\n")
  }
  finished++
  process.stderr.write(`[${finished}/${tasks.length}] ${task.id}: ${outcome}\n`)
}

await Promise.all(tasks.map(attempt))

writeFileSync(out, JSON.stringify({ attempts: tasks.length, working, programs: withPrograms, sandbox: withPrograms ? (sandbox === null ? "none" : "bwrap") : null }))
host?.host.stdin.end()
agent.destroy()
rmSync(work, { recursive: true, force: true })
