import { Console, Effect } from "effect"
import type { RunFlags } from "../config/RunFlags.js"
import type { SessionOutcome } from "../session/Session.js"
import { costSummary } from "./Cost.js"
import { causeCounts } from "./format.js"
import { pathsBlock, summaryTable } from "./Summary.js"
import { trialsSummary } from "./Trials.js"
import { verdictBlock } from "./Verdict.js"

/**
 * What `run` prints once the reports are written: where they are, the tables, the verdict, and
 * what to look at. `planned` is the runs this invocation had to run (a shard's part of the plan).
 */
export const printRunSummary = (o: RunFlags, planned: number) => ({ report, paths, resumeWith, costUnknown }: SessionOutcome) =>
  Effect.gen(function* () {
    const results = report.results
    yield* Console.log(pathsBlock(paths))
    yield* Console.log(summaryTable(results, planned, o.trials))
    if (o.trials > 1) yield* Console.log(trialsSummary(results, o.trials))
    yield* Console.log(costSummary(results))
    if (report.analysis !== undefined) yield* Console.log(`\n${verdictBlock(report.analysis)}`)
    if (!report.complete && results.length < planned)
      yield* Console.error(
        costUnknown === true
          ? `WARNING: --max-cost: a reply came without token counts, so the spend is unknown; ${planned - results.length} run(s) were not started.`
          : `WARNING: --max-cost reached; ${planned - results.length} run(s) were not started.`
      )
    const truncated = results.reduce((n, r) => n + r.truncated_attempts, 0)
    if (truncated > 0)
      yield* Console.error(`WARNING: ${truncated} attempt(s) were cut at max_tokens (${o.maxTokens}); raise --max-tokens.`)
    const errors = results.filter((r) => r.final_outcome === "error")
    if (errors.length > 0) {
      const causes = causeCounts(errors.flatMap((r) => (r.api_error ? [r.api_error] : [])))
      const harness = errors.filter((r) => r.api_error?.kind === "harness").length
      const why =
        harness === 0
          ? "the model API gave no reply"
          : harness === errors.length
            ? "the harness could not run their program"
            : "the model API gave no reply, or the harness could not run a program"
      yield* Console.error(`${errors.length} run(s) ended in "error": ${why} (${causes}). To run only them again:\n  ${resumeWith} --retry-errors`)
    }
  })
