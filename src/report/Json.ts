import type { RunConfig } from "../domain/RunConfig.js"
import type { RunResult } from "../domain/Result.js"
import type { SkillModule } from "../services/SkillDocs.js"

export interface Report {
  readonly generated: string
  readonly harness: string
  readonly harness_version: string
  readonly complete: boolean
  readonly config: RunConfig
  readonly skills: ReadonlyArray<Omit<SkillModule, "text">>
  readonly notes: ReadonlyArray<string>
  readonly results: ReadonlyArray<RunResult>
}

export const HARNESS = "ilo-bench"

/** The JSON report: the seed's `generated`, `harness` and `results`, with the configuration and provenance beside them. */
export const renderJson = (report: Report) => JSON.stringify(report, null, 2) + "\n"

export const skillProvenance = (modules: ReadonlyArray<SkillModule>) =>
  modules.map(({ text: _text, ...rest }) => rest)
