import { Args, Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { ResultsNotPublishable } from "../domain/errors.js"
import { ExitCode } from "../platform/ExitCode.js"
import { validateFile } from "../report/Validate.js"

const files = Args.text({ name: "results" }).pipe(
  Args.withDescription("Result files: an ilo-bench .json report, a checkpoint .jsonl, or a closed-loop-bench.py .json."),
  Args.atLeast(1)
)

/**
 * Checks result files before their numbers are published: exit 0 when every file decodes and says
 * nothing misleading; 1 with one line per problem; 2 (one ERROR line per file) when a file cannot
 * be read or decoded, which outranks 1.
 */
export const validateCommand = Command.make("validate", { files }, ({ files }) =>
  Effect.gen(function* () {
    let code: number = ExitCode.ok
    for (const file of files) {
      const v = yield* validateFile(file)
      if (v._tag === "Undecodable") {
        yield* Console.error(`ERROR: ${v.error}`)
        code = ExitCode.usage
        continue
      }
      for (const p of v.problems) yield* Console.log(`${file}: ${p}`)
      if (v.problems.length > 0) {
        if (code === ExitCode.ok) code = ExitCode.failure
      } else yield* Console.log(`${file}: ok (${v.format}, ${v.runs} runs)`)
    }
    if (code !== ExitCode.ok) return yield* new ResultsNotPublishable({ unreadable: code === ExitCode.usage })
  })
).pipe(
  Command.withDescription(
    "Check result files: exit 0 if they decode and their numbers can be published; 1 with one line per problem (runs failed by max_tokens, unpriced costs summed as 0, unknown thinking tokens counted as 0, planned runs missing); 2 if a file cannot be read or decoded."
  )
)
