// The program host: a small process of its own that starts every generated program for the
// harness. It keeps the forks off the harness's event loop, and a program that kills its parent
// kills this process, not the benchmark. It speaks hostProtocol.ts on stdin/stdout.
// When stdin closes (the harness exited, however it exited) every program still running is
// killed with its process group, so is anything a program left in a session of its own, and the
// host exits.
import { decodeRequest, encodeOutcome, onLines } from "./hostProtocol.js"
import { startProcess, sweepLeftovers, type ProcessOutcome } from "./programProcess.js"

const running = new Map<number, () => void>()

const handle = (line: string) => {
  const message = decodeRequest(line)
  if ("cancel" in message) {
    running.get(message.id)?.()
    running.delete(message.id)
    return
  }
  let ended = false
  const reply = (outcome: ProcessOutcome) => {
    ended = true
    running.delete(message.id)
    process.stdout.write(encodeOutcome(message.id, outcome))
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
