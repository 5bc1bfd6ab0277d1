import { FileSystem, Path } from "@effect/platform"
import { Duration, Effect } from "effect"
import { parseInlineLeg, type LegDescription } from "../config/LanguageCatalog.js"
import { knownIssue, type Task } from "../domain/Task.js"
import { loadCatalog } from "../config/Legs.js"
import { classify } from "../loop/Outcome.js"
import { readText } from "../platform/readText.js"
import { ProgramRunner } from "../services/ProgramRunner.js"
import { findLanguageNames } from "./LanguageNames.js"
import { emptyExpected, parseTasks } from "./TasksFile.js"

/** How one language's reference solutions run: `<task id><extension>` in solutions/, by `command`. */
export interface ReferenceRunner {
  readonly language: string
  readonly extension: string
  readonly command: ReadonlyArray<string>
  /** Run to see whether the interpreter is there at all; a language without one is skipped. */
  readonly probe: ReadonlyArray<string>
}

/** The bundled suite's own reference languages (JavaScript's are .mjs, so that node runs them as modules). */
export const REFERENCE_RUNNERS: ReadonlyArray<ReferenceRunner> = [
  { language: "python", extension: ".py", command: ["python3", "{file}"], probe: ["python3", "--version"] },
  { language: "javascript", extension: ".mjs", command: ["node", "{file}"], probe: ["node", "--version"] }
]

/** ilo's references run as the benchmark runs ilo's programs: `<ilo> FILE main`. */
export const iloReferenceRunner = (bin: string): ReferenceRunner => ({
  language: "ilo",
  extension: ".ilo",
  command: [bin, "{file}", "main"],
  probe: [bin, "--version"]
})

const legRunner = (leg: LegDescription): ReferenceRunner => ({
  language: leg.name,
  extension: leg.extension,
  command: leg.command,
  probe: leg.version
})

const REFERENCE_TIMEOUT = Duration.seconds(20)
const PROBE_TIMEOUT = Duration.seconds(5)

export const solutionsDir = (path: Path.Path, tasksFile: string) => path.join(path.dirname(tasksFile), "solutions")

/**
 * Runs one reference solution through the harness's own runner and classifier, `repeat` times (each
 * in a fresh directory, one after another): one that fails once is reported, as flaky if it also
 * worked.
 */
export const checkReference = (task: Task, file: string, command: ReadonlyArray<string>, extension: string, repeat = 1) =>
  Effect.gen(function* () {
    const runner = yield* ProgramRunner
    const read = yield* Effect.either(readText(file, (reason) => `${file}: cannot read (${reason})`))
    if (read._tag === "Left") return read.left
    const source = read.right
    let working = 0
    let firstProblem: string | undefined
    for (let i = 0; i < repeat; i++) {
      const run = yield* runner.run({ source, extension, command }, REFERENCE_TIMEOUT).pipe(
        Effect.catchTag("SpawnError", (e) => Effect.succeed({ exitCode: 127, stdout: "", stderr: e.message, timedOut: false }))
      )
      const outcome = classify(task.expected_output, run)
      if (outcome === "working") {
        working++
        continue
      }
      if (firstProblem !== undefined) continue
      const said = (run.stderr || run.stdout).trim().split("\n").at(-1) ?? ""
      const why = run.timedOut ? "timed out" : said !== "" ? said : `exit code ${run.exitCode}, no output`
      firstProblem = `${outcome}: ${why}`
    }
    if (firstProblem === undefined) return undefined
    if (working > 0) return `${file}: flaky: worked ${working} of ${repeat} runs; otherwise ${firstProblem}`
    return `${file}: ${firstProblem}${repeat > 1 ? ` (all ${repeat} runs)` : ""}`
  })

export interface LanguageCheck {
  readonly run: number
  readonly passed: number
  /** Task ids whose reference did not print the expected output. */
  readonly failed: ReadonlyArray<string>
  /** Of those, the ones the task says an interpreter defect explains. */
  readonly known_issues: ReadonlyArray<string>
  /** Tasks with no reference in this language. */
  readonly missing: ReadonlyArray<string>
}

export interface SuiteCheck {
  /** Problems with the file and its references, one line each; none means the suite can be trusted to run. */
  readonly problems: ReadonlyArray<string>
  /** Failures that a task's note of a known interpreter issue explains: shown, not counted as problems. */
  readonly known: ReadonlyArray<string>
  readonly references: Readonly<Record<string, LanguageCheck>>
  /** "<language>: <why>" for each language whose references were not run. */
  readonly skipped: ReadonlyArray<string>
}

export interface CheckOptions {
  /** The ilo binary; ilo's references run when it answers `--version`. */
  readonly ilo?: string | undefined
  /** --lang values: a catalog name, or NAME:CMD:EXT. */
  readonly langs?: ReadonlyArray<string> | undefined
  readonly catalogFile?: string | undefined
  /** --repeat: runs of each reference; one that works on some only is reported flaky. */
  readonly repeat?: number | undefined
}

/** Python, JavaScript, ilo, then each --lang (a name given twice is checked once). */
const referenceRunners = (options: CheckOptions) =>
  Effect.gen(function* () {
    const runners: Array<ReferenceRunner> = [...REFERENCE_RUNNERS, iloReferenceRunner(options.ilo ?? "ilo")]
    const problems: Array<string> = []
    const langs = options.langs ?? []
    const catalog =
      langs.length > 0 && options.catalogFile !== undefined
        ? yield* loadCatalog(options.catalogFile).pipe(
            Effect.catchAll((e) => Effect.sync(() => (problems.push(e.message), { languages: [] as ReadonlyArray<LegDescription> })))
          )
        : { languages: [] as ReadonlyArray<LegDescription> }
    for (const value of langs) {
      const leg = catalog.languages.find((l) => l.name === value) ?? parseInlineLeg(value)
      if (leg === undefined) {
        problems.push(`--lang ${value}: not a language of the catalog, nor NAME:CMD:EXT`)
        continue
      }
      if (runners.some((r) => r.language === leg.name)) continue
      runners.push(legRunner(leg))
    }
    return { runners, problems }
  })

/** Every problem with a tasks file, and how each language's references fared. */
export const checkSuite = (tasksFile: string, options: CheckOptions = {}) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const runner = yield* ProgramRunner
    const nothing = { known: [], references: {}, skipped: [] }
    const text = yield* Effect.either(readText(tasksFile, (reason) => `${tasksFile}: cannot read (${reason})`))
    if (text._tag === "Left") return { ...nothing, problems: [text.left] } satisfies SuiteCheck
    const parsed = parseTasks(tasksFile, text.right)
    if (parsed._tag === "Left") return { ...nothing, problems: [parsed.left.message] } satisfies SuiteCheck
    const tasks = parsed.right
    const problems: Array<string> = []
    for (const t of emptyExpected(tasks)) problems.push(`task '${t.id}': expected_output is empty`)
    for (const hit of findLanguageNames(tasks, [])) problems.push(`task '${hit.task}': description names a language ('${hit.word}')`)
    const { runners, problems: flagProblems } = yield* referenceRunners(options)
    problems.push(...flagProblems)
    const dir = solutionsDir(path, tasksFile)
    const references: Record<string, LanguageCheck> = {}
    const skipped: Array<string> = []
    const known: Array<string> = []
    for (const r of runners) {
      const present = yield* Effect.filter(tasks, (task) => fs.exists(path.join(dir, `${task.id}${r.extension}`)).pipe(Effect.orElseSucceed(() => false)))
      if (present.length === 0) {
        skipped.push(`${r.language}: no ${r.extension} reference solutions in ${dir}`)
        continue
      }
      const probe = yield* runner.exec(r.probe, PROBE_TIMEOUT).pipe(Effect.either)
      if (probe._tag === "Left" || probe.right.exitCode !== 0) {
        const why = probe._tag === "Left" ? probe.left.message : probe.right.timedOut ? "timed out" : `exited ${probe.right.exitCode}`
        skipped.push(`${r.language}: ${r.probe.join(" ")} failed (${why}); ${present.length} references not run`)
        continue
      }
      const outcomes = yield* Effect.forEach(
        present,
        (task) => Effect.map(checkReference(task, path.join(dir, `${task.id}${r.extension}`), r.command, r.extension, options.repeat ?? 1), (problem) => ({ task, problem })),
        { concurrency: 4 }
      )
      const failed = outcomes.filter((o) => o.problem !== undefined)
      const explained = failed.filter((o) => knownIssue(o.task, r.language) !== undefined)
      for (const o of failed) {
        const note = knownIssue(o.task, r.language)
        if (note === undefined) problems.push(o.problem!)
        else known.push(`${o.problem} (known ${r.language} issue: ${note})`)
      }
      references[r.language] = {
        run: present.length,
        passed: present.length - failed.length,
        failed: failed.map((o) => o.task.id),
        known_issues: explained.map((o) => o.task.id),
        missing: tasks.filter((t) => !present.includes(t)).map((t) => t.id)
      }
    }
    return { problems, known, references, skipped } satisfies SuiteCheck
  })
