import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { FIXED_SCRATCH, fixScratchPaths } from "../src/loop/ScratchPath.js"
import { errorDetail } from "../src/loop/Outcome.js"
import { ProgramRunner, ProgramRunnerLive } from "../src/services/ProgramRunner.js"

describe("the scratch path the model is shown", () => {
  it("is one fixed path, whatever directory the program ran in", () => {
    const python = `Traceback (most recent call last):\n  File "/tmp/ilo-bench-programs-4242-aB3xYz/ilo-bench-Qw12Er/program.py", line 3, in <module>`
    expect(fixScratchPaths(python)).toBe(`Traceback (most recent call last):\n  File "${FIXED_SCRATCH}/program.py", line 3, in <module>`)
    expect(fixScratchPaths("file:///var/folders/x_/q1/T/ilo-bench-programs-7-abcdef/ilo-bench-zz99zz/program.js:2")).toBe(
      `file://${FIXED_SCRATCH}/program.js:2`
    )
    expect(fixScratchPaths("/tmp/ilo-bench-Qw12Er/program.sh: line 1: nope: command not found")).toBe(
      `${FIXED_SCRATCH}/program.sh: line 1: nope: command not found`
    )
    // Text without one is left alone, and the fixed path stays as it is.
    expect(fixScratchPaths(`${FIXED_SCRATCH}/program.py and ilo-bench-results`)).toBe(`${FIXED_SCRATCH}/program.py and ilo-bench-results`)
  })

  // Real interpreters, real scratch directories: the same crashing program twice gives the same error
  // detail, byte for byte, so its repair prompt is the same on every run.
  const crashes = [
    { language: "python", extension: ".py", command: ["python3", "{file}"], source: "def f():\n    raise ValueError('boom')\nf()\n" },
    { language: "node", extension: ".js", command: ["node", "{file}"], source: "function f() { throw new Error('boom') }\nf()\n" },
    { language: "bash", extension: ".sh", command: ["bash", "{file}"], source: "echo start\nno_such_command_here\nexit 3\n" }
  ]
  for (const c of crashes)
    it.live(`a ${c.language} crash quotes the fixed path, the same on every run`, () =>
      Effect.gen(function* () {
        const runner = yield* ProgramRunner
        const once = () => runner.run({ source: c.source, extension: c.extension, command: c.command }, Duration.seconds(20))
        const [a, b] = [yield* once(), yield* once()]
        // The raw output names two different random directories...
        expect(a.stderr).toMatch(/ilo-bench-[A-Za-z0-9]{6}/)
        expect(a.stderr).not.toBe(b.stderr)
        // ...what the model is sent does not.
        const detail = (run: typeof a) => errorDetail({ ...run, stdout: fixScratchPaths(run.stdout), stderr: fixScratchPaths(run.stderr) })
        expect(detail(a)).toBe(detail(b))
        expect(detail(a)).toContain(`${FIXED_SCRATCH}/program${c.extension}`)
        expect(detail(a)).not.toMatch(/ilo-bench-/)
      }).pipe(Effect.provide(ProgramRunnerLive))
    )
})
