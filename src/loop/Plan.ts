import type { Language } from "../domain/Language.js"
import type { Model } from "../domain/Model.js"
import type { Task } from "../domain/Task.js"

/** One run of the closed loop: a task, in a language, by a model. */
export interface RunSpec {
  /** Position in the seed's order; reports and stdout follow it whatever order runs finish in. */
  readonly index: number
  readonly task: Task
  readonly language: Language
  readonly model: Model
  /** 1-based trial number (--trials). */
  readonly trial: number
}

/** Every run, in the seed's order: task, then language, then model; then each trial of it. */
export const plan = (
  tasks: ReadonlyArray<Task>,
  languages: ReadonlyArray<Language>,
  models: ReadonlyArray<Model>,
  trials = 1
): ReadonlyArray<RunSpec> =>
  tasks
    .flatMap((task) =>
      languages.flatMap((language) =>
        models.flatMap((model) => Array.from({ length: trials }, (_, i) => ({ task, language, model, trial: i + 1 })))
      )
    )
    .map((run, index) => ({ ...run, index }))
