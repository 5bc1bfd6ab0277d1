import { Effect, Either, Schema } from "effect"
import { TasksFileError } from "../domain/errors.js"
import { Task, TasksFile } from "../domain/Task.js"
import { sha256 } from "../domain/text.js"
import { readText } from "../platform/readText.js"
import { firstIssue } from "../domain/schemaIssue.js"
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../domain/limits.js"
import { normaliseExpected } from "../loop/Outcome.js"

export interface LoadedTasks {
  readonly file: string
  readonly sha256: string
  readonly tasks: ReadonlyArray<Task>
}


/** Decodes a tasks file's text; each problem names the task and the field. */
export const parseTasks = (file: string, text: string): Either.Either<ReadonlyArray<Task>, TasksFileError> => {
  const fail = (reason: string) => Either.left(new TasksFileError({ file, reason }))
  let json: unknown
  try {
    // A byte order mark, as Windows editors save UTF-8, is no part of the JSON (the file's sha256 keeps it).
    json = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text)
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`)
  }
  if (nestedDeeperThan(json)) return fail(`nests deeper than ${MAX_JSON_DEPTH} levels; a tasks file is an object with a "tasks" array of flat objects`)
  // What the top level is, in words, where it is not the object the file needs (not Schema's type text).
  const kind = Array.isArray(json) ? "an array" : json === null ? "null" : typeof json !== "object" ? `a ${typeof json}` : !("tasks" in json) ? "an object without \"tasks\"" : undefined
  if (kind !== undefined) return fail(`expected an object with a "tasks" array, got ${kind}`)
  const top = Schema.decodeUnknownEither(TasksFile)(json)
  if (Either.isLeft(top)) return fail(`expected an object with a "tasks" array: ${firstIssue(top.left)}`)
  const tasks: Array<Task> = []
  const seen = new Set<string>()
  for (const [index, raw] of top.right.tasks.entries()) {
    const decoded = Schema.decodeUnknownEither(Task)(raw)
    const rawId = typeof raw === "object" && raw !== null && "id" in raw ? String((raw as { id: unknown }).id) : undefined
    const name = rawId !== undefined ? `task '${rawId}' (#${index + 1})` : `task #${index + 1}`
    if (Either.isLeft(decoded)) return fail(`${name}: ${firstIssue(decoded.left)}`)
    if (seen.has(decoded.right.id)) return fail(`duplicate task id '${decoded.right.id}'`)
    seen.add(decoded.right.id)
    tasks.push(decoded.right)
  }
  // A benchmark of nothing would pass every check and report 0/0.
  if (tasks.length === 0) return fail("has no tasks")
  return Either.right(tasks)
}

/** Tasks that any program printing nothing would pass: `run` refuses them, `tasks --check` lists them. */
export const emptyExpected = (tasks: ReadonlyArray<Task>) => tasks.filter((t) => normaliseExpected(t.expected_output) === "")

export const loadTasks = (file: string) =>
  Effect.gen(function* () {
    const text = yield* readText(file, (reason) => new TasksFileError({ file, reason }))
    const tasks = yield* parseTasks(file, text)
    return { file, sha256: sha256(text), tasks } satisfies LoadedTasks
  })
