import type { CheckpointReply } from "../domain/Checkpoint.js"
import type { Language } from "../domain/Language.js"
import type { Model } from "../config/Model.js"
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
  /**
   * On a resume: the replies an earlier session recorded for this run's attempts 1..k, in order.
   * They answer its first k model calls; the model is asked from attempt k + 1 on.
   */
  readonly recorded?: ReadonlyArray<CheckpointReply> | undefined
  /** On a resume: the attempt whose program was running both times the harness stopped without ending it; it is not run again. */
  readonly killedHarness?: number | undefined
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

/** One run of the plan, named the same way wherever it is recorded (a result, a reply, a spec). */
export const runKey = (r: { readonly task: string; readonly language: string; readonly model: string; readonly trial?: number | undefined }) =>
  `${r.task}\u0000${r.language}\u0000${r.model}\u0000${r.trial ?? 1}`

export const specKey = (spec: RunSpec) =>
  runKey({ task: spec.task.id, language: spec.language.name, model: spec.model.key, trial: spec.trial })
