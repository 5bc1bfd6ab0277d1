import { Schema } from "effect"

/** One benchmark task: what to build and the stdout that proves it works. Extra fields are kept. */
export const Task = Schema.Struct(
  {
    id: Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" })),
    description: Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" })),
    expected_output: Schema.String,
    category: Schema.optional(Schema.String),
    difficulty: Schema.optional(Schema.Literal("easy", "medium", "hard"))
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type Task = typeof Task.Type

export const TasksFile = Schema.Struct({
  tasks: Schema.Array(Schema.Unknown)
})
