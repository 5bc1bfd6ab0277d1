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

/**
 * Every run, in the seed's order: task, then language, then model; then each trial of it. Each
 * spec is one object literal: made by spreading another (`{ ...run, index }`), every spec got a
 * hidden class of its own in V8, about 500 bytes a run (50 MB of a 100,000-run plan).
 */
export const plan = (
  tasks: ReadonlyArray<Task>,
  languages: ReadonlyArray<Language>,
  models: ReadonlyArray<Model>,
  trials = 1
): ReadonlyArray<RunSpec> => {
  const runs: Array<RunSpec> = []
  for (const task of tasks)
    for (const language of languages)
      for (const model of models) for (let trial = 1; trial <= trials; trial++) runs.push({ task, language, model, trial, index: runs.length })
  return runs
}

/** One run of the plan, named the same way wherever it is recorded (a result, a reply, a spec). */
export const runKey = (r: { readonly task: string; readonly language: string; readonly model: string; readonly trial?: number | undefined }) =>
  `${r.task}\u0000${r.language}\u0000${r.model}\u0000${r.trial ?? 1}`

export const specKey = (spec: RunSpec) =>
  runKey({ task: spec.task.id, language: spec.language.name, model: spec.model.key, trial: spec.trial })
