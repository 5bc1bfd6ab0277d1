import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, it } from "vitest"
import { ILO_DEFAULT_MODULES } from "../src/domain/Language.js"
import { ProgramRunnerLive } from "../src/services/ProgramRunner.js"
import { checkReference, REFERENCE_RUNNERS } from "../src/tasks/Check.js"
import { findLanguageNames } from "../src/tasks/LanguageNames.js"
import { parseTasks } from "../src/tasks/TasksFile.js"
import { root } from "./support/cli.js"

const suiteFile = join(root, "bench", "closed-loop", "tasks.json")
const solutions = join(root, "bench", "closed-loop", "solutions")
const parsed = parseTasks(suiteFile, readFileSync(suiteFile, "utf8"))
if (parsed._tag === "Left") throw new Error(parsed.left.message)
const tasks = parsed.right

describe("the task suite", () => {
  it("has at least 40 tasks over at least 8 categories, each with a category and difficulty", () => {
    expect(tasks.length).toBeGreaterThanOrEqual(40)
    const categories = new Set(tasks.map((t) => t.category))
    expect(categories.size).toBeGreaterThanOrEqual(8)
    for (const t of tasks) {
      expect(t.category, t.id).toBeTruthy()
      expect(["easy", "medium", "hard"], t.id).toContain(t.difficulty)
      expect(t.expected_output.trim(), t.id).not.toBe("")
    }
  })

  it("never names a programming language in a description", () => {
    expect(findLanguageNames(tasks, ["ilo", "python", "javascript", "bash", "typescript"])).toEqual([])
  })

  it("has a Python, a JavaScript and an ilo reference for every task, none empty", () => {
    const missing = tasks.flatMap((t) =>
      [...REFERENCE_RUNNERS.map((r) => r.extension), ".ilo"].map((ext) => `${t.id}${ext}`).filter((f) => !existsSync(join(solutions, f)))
    )
    expect(missing).toEqual([])
    const iloRefs = readdirSync(solutions).filter((f) => f.endsWith(".ilo"))
    for (const f of iloRefs) expect(statSync(join(solutions, f)).size, f).toBeGreaterThan(0)
    for (const f of readdirSync(solutions)) expect(tasks.map((t) => t.id), f).toContain(f.replace(/\.[^.]+$/, ""))
  })
})

layer(Layer.merge(ProgramRunnerLive, NodeContext.layer), { excludeTestServices: true })(
  "every reference solution is working through the harness's own runner and classifier",
  (it) => {
    for (const task of tasks) {
      for (const r of REFERENCE_RUNNERS) {
        it.effect(`${task.id}${r.extension}`, () =>
          Effect.gen(function* () {
            const problem = yield* checkReference(task, join(solutions, `${task.id}${r.extension}`), r.command, r.extension)
            expect(problem).toBeUndefined()
          })
        )
      }
    }
  }
)

describe("the tasks loader", () => {
  it("accepts the ilo project's own suite format, extra fields and all", () => {
    const theirs = {
      tasks: [
        { id: "simple", description: "Print 55.", expected_output: "55", difficulty: "easy", category: "arithmetic", notes: "x" },
        { id: "two", description: "Print 5 and 0.", expected_output: "5\n0", difficulty: "medium", category: "control-flow" }
      ]
    }
    const result = parseTasks("peer.json", JSON.stringify(theirs))
    expect(result._tag).toBe("Right")
    if (result._tag === "Right") expect(result.right[0]).toMatchObject({ id: "simple", notes: "x" })
  })

  it("reads a file saved with a UTF-8 byte order mark, as a Windows editor saves it", () => {
    const result = parseTasks("bom.json", "\uFEFF" + JSON.stringify({ tasks: [{ id: "a", description: "Print 1.", expected_output: "1" }] }))
    expect(result._tag === "Left" ? result.left.message : "").toBe("")
    expect(result._tag === "Right" && result.right.map((t) => t.id)).toEqual(["a"])
  })

  it("says in words what the top level is when it is not an object with tasks", () => {
    const reason = (text: string) => {
      const r = parseTasks("t.json", text)
      return r._tag === "Left" ? r.left.message : ""
    }
    expect(reason("[1, 2]")).toBe('tasks file t.json: expected an object with a "tasks" array, got an array')
    expect(reason('"tasks"')).toBe('tasks file t.json: expected an object with a "tasks" array, got a string')
    expect(reason("null")).toBe('tasks file t.json: expected an object with a "tasks" array, got null')
    expect(reason('{"task": []}')).toBe('tasks file t.json: expected an object with a "tasks" array, got an object without "tasks"')
    expect(reason('{"tasks": 3}')).toMatch(/^tasks file t\.json: expected an object with a "tasks" array: field 'tasks' /)
  })

  it("names the task and the field that is wrong", () => {
    const result = parseTasks("t.json", JSON.stringify({ tasks: [{ id: "a", description: "d", expected_output: "1", difficulty: "extreme" }] }))
    expect(result._tag === "Left" && result.left.message).toMatch(/task 'a' \(#1\): field 'difficulty'/)
  })
})

describe("the ilo skill modules", () => {
  const dir = join(root, "skills", "ilo")
  it("has the five default modules, together under 24 KB, and a default context of exactly those", () => {
    const sizes = ILO_DEFAULT_MODULES.map((m) => statSync(join(dir, `${m}.md`)).size)
    for (const size of sizes) expect(size).toBeGreaterThan(1000)
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(24 * 1024)
    const contexts = JSON.parse(readFileSync(join(dir, "contexts.json"), "utf8")).contexts
    expect(contexts.default.modules).toEqual([...ILO_DEFAULT_MODULES])
    for (const [name, c] of Object.entries<any>(contexts))
      for (const m of c.modules) expect(existsSync(join(dir, `${m}.md`)), `${name}: ${m}`).toBe(true)
  })
})
