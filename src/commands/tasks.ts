import { Command, Options } from "@effect/cli"
import { Path } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import { ExitCode, setExitCode } from "../platform/ExitCode.js"
import { packageRoot } from "../platform/paths.js"
import { checkSuite } from "../tasks/Check.js"
import { loadTasks } from "../tasks/TasksFile.js"

export const defaultTasksFile = (path: Path.Path) => path.join(packageRoot, "bench", "closed-loop", "tasks.json")

const options = {
  check: Options.boolean("check").pipe(
    Options.withDescription("Validate the file and run every reference solution present; one line per problem, exit 2 if any.")
  ),
  tasksFile: Options.text("tasks-file").pipe(
    Options.withDescription("Tasks file (default: the bundled bench/closed-loop/tasks.json)."),
    Options.optional
  )
}

const firstLine = (text: string) => text.split("\n")[0] ?? ""

export const tasksCommand = Command.make("tasks", options, ({ check, tasksFile }) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const file = Option.getOrElse(tasksFile, () => defaultTasksFile(path))
    if (check) {
      const problems = yield* checkSuite(file)
      for (const p of problems) yield* Console.log(p)
      if (problems.length > 0) return setExitCode(ExitCode.usage)
      return yield* Console.log(`${file}: ok`)
    }
    const { tasks } = yield* loadTasks(file)
    const width = Math.max(...tasks.map((t) => t.id.length), 2)
    for (const t of tasks) {
      const description = firstLine(t.description)
      yield* Console.log(
        `${t.id.padEnd(width)}  ${(t.category ?? "-").padEnd(21)} ${(t.difficulty ?? "-").padEnd(6)}  ${description.length > 90 ? description.slice(0, 87) + "..." : description}`
      )
    }
    yield* Console.log(`\n${tasks.length} tasks`)
  })
).pipe(Command.withDescription("List the task suite; with --check, verify it and its reference solutions."))
