// The program host: a small process of its own that starts every generated program for the
// harness. Forking the harness itself (a large process) cost more CPU per program and blocked its
// event loop until each child had exec'd; forking this one costs what a bare spawn loop does.
// It speaks newline-delimited JSON on stdin/stdout:
//   in:  {"id":1,"request":ProcessRequest}   {"id":1,"cancel":true}
//   out: {"id":1,"run":ProgramRun}           {"id":1,"spawnError":{command,message}}
// When stdin closes (the harness exited, however it exited) every program still running is
// killed with its process group, so is anything a program left in a session of its own, and the
// host exits.
import { onLines, startProcess, sweepLeftovers, type ProcessOutcome, type ProcessRequest } from "./services/programProcess.js"

const running = new Map<number, () => void>()

const handle = (line: string) => {
  if (line === "") return
  const message = JSON.parse(line) as { id: number; request?: ProcessRequest; cancel?: boolean }
  if (message.cancel === true) {
    running.get(message.id)?.()
    running.delete(message.id)
    return
  }
  if (message.request === undefined) return
  let ended = false
  const reply = (outcome: ProcessOutcome) => {
    ended = true
    running.delete(message.id)
    process.stdout.write(JSON.stringify({ id: message.id, ...outcome }) + "\n")
  }
  try {
    const cancel = startProcess(message.request, reply)
    if (!ended) running.set(message.id, cancel)
  } catch (error) {
    // The work directory or the program file could not be made, or spawn refused its arguments.
    reply({ spawnError: { command: message.request.command[0] ?? "", message: (error as Error).message } })
  }
}

onLines(process.stdin, handle)
process.stdin.on("end", () => {
  for (const cancel of running.values()) cancel()
  sweepLeftovers()
  process.exit(0)
})
