import { Command, Options } from "@effect/cli"
import { Path } from "@effect/platform"
import { Config, Console, Effect, Option } from "effect"
import { InvalidFlag, TasksHaveProblems } from "../domain/errors.js"
import { MAX_TRIALS } from "../domain/limits.js"
import { packageRoot } from "../platform/paths.js"
import { checkSuite } from "../tasks/Check.js"
import { loadTasks } from "../tasks/TasksFile.js"

export const defaultTasksFile = (path: Path.Path) => path.join(packageRoot, "bench", "closed-loop", "tasks.json")

const options = {
  check: Options.boolean("check").pipe(
    Options.withDescription("Validate the file and run every reference solution whose interpreter is present; one line per problem, exit 2 if any.")
  ),
  json: Options.boolean("json").pipe(
    Options.withDescription(
      'With --check: print {"references": {LANGUAGE: {"run", "passed", "failed"}}, "skipped": ["LANGUAGE: why"], "problems": [...]} instead of lines.'
    )
  ),
  ilo: Options.text("ilo").pipe(
    Options.withFallbackConfig(Config.string("ILO")),
    Options.withDefault("ilo"),
    Options.withDescription("With --check: the ilo binary that runs the .ilo references (default: $ILO, else ilo; skipped if it does not start).")
  ),
  lang: Options.text("lang").pipe(
    Options.repeated,
    Options.withDescription("With --check: also run this language's references, a name from bench/languages.json or NAME:CMD:EXT. Repeatable.")
  ),
  repeat: Options.integer("repeat").pipe(
    Options.withDescription("With --check: run each reference solution this many times; one that does not work every time is reported flaky."),
    Options.withDefault(1)
  ),
  tasksFile: Options.text("tasks-file").pipe(
    Options.withDescription("Tasks file (default: the bundled bench/closed-loop/tasks.json)."),
    Options.optional
  )
}

const firstLine = (text: string) => text.split("\n")[0] ?? ""

/** Problems are listed already: they end the command with exit 2. */
const problemsFound = (count: number) => (count > 0 ? Effect.fail(new TasksHaveProblems({ count })) : Effect.void)

export const tasksCommand = Command.make("tasks", options, ({ check, ilo, json, lang, repeat, tasksFile }) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const file = Option.getOrElse(tasksFile, () => defaultTasksFile(path))
    if (repeat < 1) return yield* new InvalidFlag({ flag: "--repeat", reason: `must be at least 1, got ${repeat}` })
    // As --trials: each run of each reference is a process, and a report line counts them.
    if (repeat > MAX_TRIALS) return yield* new InvalidFlag({ flag: "--repeat", reason: `must be at most ${MAX_TRIALS}, got ${repeat}` })
    // The check's flags without --check would list the suite as if they had not been given.
    if (!check) {
      const given = json ? "--json" : lang.length > 0 ? "--lang" : repeat !== 1 ? "--repeat" : undefined
      if (given !== undefined) return yield* new InvalidFlag({ flag: given, reason: "only with --check" })
    }
    if (check) {
      // A relative binary path is the user's, from here: programs run in a directory of their own.
      const iloBin = ilo.includes("/") ? path.resolve(ilo) : ilo
      const result = yield* checkSuite(file, { ilo: iloBin, langs: lang, repeat, catalogFile: path.join(packageRoot, "bench", "languages.json") })
      if (json) {
        yield* Console.log(JSON.stringify({ references: result.references, skipped: result.skipped, problems: result.problems }, null, 2))
        return yield* problemsFound(result.problems.length)
      }
      for (const p of result.problems) yield* Console.log(p)
      for (const k of result.known) yield* Console.log(k)
      for (const [name, r] of Object.entries(result.references))
        yield* Console.log(
          `${name}: ${r.passed}/${r.run} references passed${r.failed.length > 0 ? ` (failed: ${r.failed.join(", ")}${r.known_issues.length > 0 ? `; known interpreter issues: ${r.known_issues.join(", ")}` : ""})` : ""}${r.missing.length > 0 ? `; no reference for ${r.missing.length} task(s): ${r.missing.join(", ")}` : ""}`
        )
      for (const s of result.skipped) yield* Console.log(`skipped ${s}`)
      if (result.problems.length === 0) yield* Console.log(`${file}: ok`)
      return yield* problemsFound(result.problems.length)
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
