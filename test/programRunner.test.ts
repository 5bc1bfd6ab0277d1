import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ProgramRunner, ProgramRunnerLive } from "../src/services/ProgramRunner.js"

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe("program runner", () => {
  it.live("interrupting a run (Ctrl-C) kills its program and the program's children", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "ilo-bench-runner-"))
      const pids = join(dir, "pids")
      const runner = yield* ProgramRunner
      // The program starts a grandchild, records both pids, and would run for a minute.
      const source = `sleep 60 &\necho "$$ $!" > '${pids}'\nwait\n`
      const fiber = yield* Effect.fork(runner.run({ source, extension: ".sh", command: ["bash", "{file}"] }, Duration.minutes(2)))
      while (!existsSync(pids) || readFileSync(pids, "utf8").trim().split(" ").length < 2) yield* Effect.sleep(10)
      const [shell, sleeper] = readFileSync(pids, "utf8").trim().split(" ").map(Number)
      expect(alive(shell!) && alive(sleeper!)).toBe(true)

      yield* Fiber.interrupt(fiber)
      for (let i = 0; i < 100 && (alive(shell!) || alive(sleeper!)); i++) yield* Effect.sleep(20)
      expect(alive(shell!)).toBe(false)
      expect(alive(sleeper!)).toBe(false)
    }).pipe(Effect.provide(ProgramRunnerLive)))
})
