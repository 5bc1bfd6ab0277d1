import { Schema } from "effect"
import { SAFE_ID } from "./limits.js"

/** One benchmark task: what to build and the stdout that proves it works. Extra fields are kept. */
export const Task = Schema.Struct(
  {
    // The id names files (solutions/<id>.<ext>): `../../evil` ran a file outside solutions/.
    id: Schema.String.pipe(
      Schema.minLength(1, { message: () => "must be a non-empty string" }),
      Schema.pattern(SAFE_ID, {
        message: () => "must be a safe file name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters"
      })
    ),
    description: Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" })),
    expected_output: Schema.String,
    category: Schema.optional(Schema.String),
    difficulty: Schema.optional(Schema.Literal("easy", "medium", "hard"))
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type Task = typeof Task.Type

/**
 * A task may carry notes of interpreter defects that make a correct program fail, by language
 * (`"known_issues": { "ilo": "..." }`): such a result measures the interpreter, and reports say so.
 */
const KnownIssues = Schema.Record({ key: Schema.String, value: Schema.String })
export const knownIssue = (task: Task, language: string): string | undefined => {
  const decoded = Schema.decodeUnknownOption(KnownIssues)(task["known_issues"])
  return decoded._tag === "Some" ? decoded.value[language] : undefined
}

export const TasksFile = Schema.Struct({
  tasks: Schema.Array(Schema.Unknown)
})
