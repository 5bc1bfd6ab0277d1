import type { RunConfig } from "../domain/RunConfig.js"
import type { RunResult } from "../domain/Result.js"
import { wholeRun } from "../domain/WholeRun.js"
import type { SkillModule } from "../services/SkillDocs.js"
import type { SurvivalAnalysis } from "./Survival.js"
import type { CensusEntry } from "./Census.js"

/** The report's analysis: survival and versus (Survival.ts), and the token census (Census.ts). */
export type ReportAnalysis = SurvivalAnalysis & { readonly census: ReadonlyArray<CensusEntry> }

export interface Report {
  readonly generated: string
  readonly harness: string
  readonly harness_version: string
  readonly complete: boolean
  /** Runs the benchmark planned (task x language x model x trial): `results` has fewer when it did not finish. */
  readonly planned_runs: number
  readonly config: RunConfig
  readonly skills: ReadonlyArray<Omit<SkillModule, "text">>
  readonly notes: ReadonlyArray<string>
  /** Model requests sent but interrupted before their reply was recorded (billing unknown); absent when none. */
  readonly unanswered_requests?: number | undefined
  /** Spend to a working program per language x model (Kaplan-Meier) and against the baseline language. */
  readonly analysis?: ReportAnalysis | undefined
  readonly results: ReadonlyArray<RunResult>
}

export const HARNESS = "ilo-bench"


/**
 * The seed wrote these as Python floats (`1.0`, `2.0`); JSON.stringify writes a whole number as an
 * int, which a Python reader then loads as one. Top-level fields of one result, indented by 2.
 */
const asPythonFloats = (json: string) => json.replace(/^( {2}"(?:success_rate|wall_time_s|elapsed_s)": )(-?\d+)(,?)$/gm, "$1$2.0$3")

/**
 * The JSON report: the seed's `generated`, `harness` and `results`, with the configuration and
 * provenance beside them. In parts, result by result, so that a report of many runs is never one
 * string (a run held on disk written from its checkpoint line's record); joined, they are `JSON.stringify(report, null, 2)` (with `results` last, the seed's float fields as floats) and a newline.
 */
export function* renderJson(report: Report): Generator<string> {
  const { results, ...head } = report
  const empty = JSON.stringify({ ...head, results: [] }, null, 2)
  if (results.length === 0) {
    yield empty + "\n"
    return
  }
  yield empty.slice(0, -"[]\n}".length) + "[\n"
  for (const [i, r] of results.entries()) yield (i === 0 ? "    " : ",\n    ") + asPythonFloats(JSON.stringify(wholeRun(r), null, 2)).replace(/\n/g, "\n    ")
  yield "\n  ]\n}\n"
}

export const skillProvenance = (modules: ReadonlyArray<SkillModule>) =>
  modules.map(({ text: _text, ...rest }) => rest)
