import { Schema } from "effect"
import type { Report } from "../report/Json.js"
import { RunResult } from "./Result.js"
import { ReportAnalysisSchema } from "./Analysis.js"
import { RunConfig } from "./RunConfig.js"

/**
 * The JSON report ilo-bench writes, as a Schema: `ilo-bench schema` exports it as JSON Schema and
 * `ilo-bench validate` decodes files with it. The configuration is the one a run records
 * (RunConfig); the compile-time check at the bottom keeps the two in step.
 */

export const SkillProvenance = Schema.Struct({
  module: Schema.String,
  source: Schema.String.annotations({ description: '"ilo skill get", the file it was read from, or "placeholder".' }),
  sha256: Schema.String,
  bytes: Schema.Number
}).annotations({ identifier: "SkillModule" })

export const ReportFile = Schema.Struct({
  generated: Schema.String,
  harness: Schema.Literal("ilo-bench"),
  harness_version: Schema.String,
  complete: Schema.Boolean.annotations({ description: "False after an interrupt or --max-cost: results then has fewer than planned_runs." }),
  planned_runs: Schema.Number,
  config: RunConfig,
  skills: Schema.Array(SkillProvenance),
  notes: Schema.Array(Schema.String),
  unanswered_requests: Schema.optional(Schema.Number).annotations({
    description:
      "Model requests sent but interrupted (Ctrl-C, a crash, a kill) before their reply was recorded: the provider may have billed them, and they are in no token or cost figure. Absent when none."
  }),
  analysis: Schema.optional(ReportAnalysisSchema),
  results: Schema.Array(RunResult.annotations({ identifier: "RunResult" }))
}).annotations({
  identifier: "IloBenchReport",
  title: "ilo-bench result file",
  description: "The JSON report of one ilo-bench run: configuration, provenance of the documentation sent, notes, and one record per run."
})
export type ReportFile = typeof ReportFile.Encoded

// Every report the run writes is a file this schema describes (a compile error here means they drifted).
const _written: (report: Report) => Omit<ReportFile, "harness"> = (report) => report
void _written
