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
// With BENCH_FLOOR_SANDBOX set (a JSON {bwrap, limits, ilo: [where, copy], runAs?}), each program
// runs instead inside bubblewrap with the isolation the CLI gives a program (user, PID, network,
// IPC and UTS namespaces; the system read-only; a private /tmp and work directory; limits set by
// a shell before the program), its source passed on fd 4 into the sandbox's own work directory.
// When stdin ends the host exits.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"

const sandbox = process.env.BENCH_FLOOR_SANDBOX ? JSON.parse(process.env.BENCH_FLOOR_SANDBOX) : null
const PATH = "/usr/local/bin:/usr/bin:/bin"
const LANG = process.env.LANG ?? "C.UTF-8"
const INSIDE = "/tmp/ilo-bench"

/** bwrap's arguments for one program: the system directories as they are here, read-only. */
const bwrapArgs = (command) => {
  const args = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
  for (const [dir, kind, target] of sandbox.system) args.push(...(kind === "link" ? ["--symlink", target, dir] : ["--ro-bind", dir, dir]))
  args.push("--proc", "/proc", "--dev", "/dev")
  for (const dir of ["/tmp", INSIDE]) args.push("--size", String(sandbox.limits.fileBytes), "--tmpfs", dir)
  args.push("--file", "4", `${INSIDE}/program.ilo`, "--ro-bind", sandbox.ilo[1], sandbox.ilo[0], "--chdir", INSIDE, "--clearenv")
  args.push("--setenv", "PATH", PATH, "--setenv", "HOME", INSIDE, "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", LANG)
  const { memoryBytes, fileBytes, processes } = sandbox.limits
  const limits = `ulimit -d ${memoryBytes / 1024} && ulimit -f ${fileBytes / 512} && ulimit -p ${processes} && ulimit -t 30 && ulimit -c 0`
  args.push("/bin/sh", "-c", `${limits} && exec 4<&- && exec "$@"`, "sh", ...command)
  return args
}

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
    const inside = command.map((part) => part.replaceAll("{file}", `${INSIDE}/program.ilo`))
    child = spawn(sandbox.bwrap, bwrapArgs(inside), { cwd: "/", env: {}, detached: true, stdio: ["ignore", "pipe", "pipe", "ignore", "pipe"], ...(sandbox.runAs ?? {}) })
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
