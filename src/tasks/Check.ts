import { FileSystem, Path } from "@effect/platform"
import { Duration, Effect } from "effect"
import type { Task } from "../domain/Task.js"
import { classify } from "../loop/Outcome.js"
import { ProgramRunner } from "../services/ProgramRunner.js"
import { findLanguageNames } from "./LanguageNames.js"
import { emptyExpected, parseTasks } from "./TasksFile.js"

/** How each kind of reference solution runs; `.ilo` ones cannot run without ilo, so they are only looked for. */
export const REFERENCE_RUNNERS: ReadonlyArray<{ readonly extension: string; readonly command: ReadonlyArray<string> }> = [
  { extension: ".py", command: ["python3", "{file}"] },
  { extension: ".mjs", command: ["node", "{file}"] }
]

const REFERENCE_TIMEOUT = Duration.seconds(20)

export const solutionsDir = (path: Path.Path, tasksFile: string) => path.join(path.dirname(tasksFile), "solutions")

/** Runs one reference solution through the harness's own runner and classifier. */
export const checkReference = (task: Task, file: string, command: ReadonlyArray<string>, extension: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const runner = yield* ProgramRunner
    const source = yield* fs.readFileString(file).pipe(Effect.orDie)
    const run = yield* runner.run({ source, extension, command }, REFERENCE_TIMEOUT).pipe(
      Effect.catchTag("SpawnError", (e) => Effect.succeed({ exitCode: 127, stdout: "", stderr: e.message, timedOut: false }))
    )
    const outcome = classify(task.expected_output, run)
    if (outcome === "working") return undefined
    const said = (run.stderr || run.stdout).trim().split("\n").at(-1) ?? ""
    const why = run.timedOut ? "timed out" : said !== "" ? said : `exit code ${run.exitCode}, no output`
    return `${file}: ${outcome}: ${why}`
  })

/** Every problem with a tasks file, one line each; none means the suite can be trusted to run. */
export const checkSuite = (tasksFile: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const text = yield* fs.readFileString(tasksFile).pipe(Effect.either)
    if (text._tag === "Left") return [`${tasksFile}: cannot read (${text.left.message})`]
    const parsed = parseTasks(tasksFile, text.right)
    if (parsed._tag === "Left") return [parsed.left.message]
    const tasks = parsed.right
    const problems: Array<string> = []
    for (const t of emptyExpected(tasks)) problems.push(`task '${t.id}': expected_output is empty`)
    for (const hit of findLanguageNames(tasks, [])) problems.push(`task '${hit.task}': description names a language ('${hit.word}')`)
    const dir = solutionsDir(path, tasksFile)
    const checks = tasks.flatMap((task) =>
      REFERENCE_RUNNERS.map((r) => ({ task, runner: r, file: path.join(dir, `${task.id}${r.extension}`) }))
    )
    const failures = yield* Effect.forEach(
      checks,
      ({ task, runner, file }) =>
        fs.exists(file).pipe(
          Effect.orElseSucceed(() => false),
          Effect.flatMap((present) => (present ? checkReference(task, file, runner.command, runner.extension) : Effect.succeed(undefined)))
        ),
      { concurrency: 4 }
    )
    for (const f of failures) if (f !== undefined) problems.push(f)
    return problems
  })
