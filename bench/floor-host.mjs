// The floor client's program host (bench/floor-client.mjs): a small Node child process that starts
// programs for its parent, as the CLI's own host does, so that the forks happen off the client's
// event loop. It is here to measure what that design costs at the least, without the CLI's code:
// no timeouts, no output cap, no sweep of leftovers, no recovery from a host that died.
//
// Protocol, one JSON object a line:
//   stdin:  {"id":1,"source":"echo 1\n","command":["/path/to/ilo","{file}","main"]}
//   stdout: {"id":1,"stdout":"1\n","code":0}            (and {"ready":true} once, at start)
// Each program is written to a fresh directory (`program.ilo`) and run there in its own process
// group with a scrubbed environment; the directory is removed when the program's output closes.
// With BENCH_FLOOR_SANDBOX set (a JSON {bwrap, module, limits, ilo: [where, copy], runAs?}), each
// program runs instead inside bubblewrap with the arguments the CLI gives it (bwrapArgs of
// `module`, the CLI's source bundled), its source passed on fd 4 into the sandbox's work directory.
// When stdin ends the host exits.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"

const sandbox = process.env.BENCH_FLOOR_SANDBOX ? JSON.parse(process.env.BENCH_FLOOR_SANDBOX) : null
const PATH = "/usr/local/bin:/usr/bin:/bin"
const LANG = process.env.LANG ?? "C.UTF-8"
// The CLI's own bwrap arguments (src/services/programProcess.ts, bundled by the harness), so that
// the floor's sandbox is the CLI's by construction.
const { bwrapArgs, SANDBOX_WORK } = sandbox === null ? {} : await import(sandbox.module)

const run = ({ id, source, command }) => {
  let child
  let dir
  if (sandbox === null) {
    dir = mkdtempSync(join(tmpdir(), "floor-"))
    const file = join(dir, "program.ilo")
    writeFileSync(file, source)
    const [bin, ...args] = command.map((part) => part.replaceAll("{file}", file))
    child = spawn(bin, args, { cwd: dir, env: { PATH, LANG, HOME: dir, TMPDIR: dir }, detached: true, stdio: ["ignore", "pipe", "pipe"] })
  } else {
    const file = `${SANDBOX_WORK}/program.ilo`
    const inside = command.map((part) => part.replaceAll("{file}", file))
    child = spawn(sandbox.bwrap, bwrapArgs(sandbox.limits, inside, { file, interpreter: sandbox.ilo, timeoutMs: 10_000 }), { cwd: "/", env: {}, detached: true, stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"], ...(sandbox.runAs ?? {}) })
    // fd 3: the sandbox says "up" on it (the CLI tells a sandbox that could not start by it); read and dropped.
    child.stdio[3].resume()
    child.stdio[4].on("error", () => {})
    child.stdio[4].end(source)
  }
  let stdout = ""
  child.stdout.on("data", (c) => (stdout += c))
  child.stderr.on("data", () => {})
  const answer = (code) => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    process.stdout.write(JSON.stringify({ id, stdout, code }) + "\n")
  }
  child.on("error", () => answer(-1))
  child.on("close", answer)
}

createInterface({ input: process.stdin }).on("line", (line) => line !== "" && run(JSON.parse(line)))
process.stdin.on("end", () => process.exit(0))
process.stdout.write(JSON.stringify({ ready: true }) + "\n")
