import { Args, Command, Options } from "@effect/cli"
import { Path } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import { analyse, banners } from "../report/Analysis.js"
import { renderHtml } from "../report/Html.js"
import { outputDirectory, writeAtomically } from "../report/Output.js"
import { writtenBlock } from "../report/Summary.js"
import { mergeSources } from "../report/Sweep.js"
import { renderSweepMarkdown, sweepSurvival } from "../report/SweepMarkdown.js"
import { readSources, stem } from "./reportFiles.js"
import { InvalidFlag } from "../domain/errors.js"

const files = Args.text({ name: "results" }).pipe(
  Args.withDescription("Saved results: an ilo-bench .json report, a checkpoint .jsonl, or a closed-loop-bench.py .json."),
  Args.atLeast(1)
)

const outputDir = Options.text("output-dir").pipe(
  Options.withDescription("Where the reports go (default: the first file's directory)."),
  Options.optional
)

export const baselineOption = Options.text("baseline").pipe(
  Options.withDescription("The language the verdict divides the others' spend by (default: ilo)."),
  Options.withDefault("ilo")
)

/** Re-renders the Markdown and HTML reports of one or more saved result files (legs of one sweep). */
export const reportCommand = Command.make("report", { outputDir, baseline: baselineOption, files }, ({ outputDir, baseline, files }) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const sources = yield* readSources(files)
    const sweep = mergeSources(sources, { checkShards: true })
    // As run does: a baseline named but not run is refused; ilo, the default, may be absent (the verdict then has no ratios).
    if (baseline !== "ilo" && !sweep.languages.includes(baseline))
      return yield* new InvalidFlag({ flag: "--baseline", reason: `'${baseline}' is not a language of these runs (${sweep.languages.join(", ")})` })
    const first = files[0]
    const dir = Option.getOrElse(outputDir, () => path.dirname(first))
    const name = `${stem(path, first)}${files.length > 1 ? "-sweep" : ""}.report`
    const md = path.join(dir, `${name}.md`)
    const html = path.join(dir, `${name}.html`)
    yield* outputDirectory(dir)
    const survival = sweepSurvival(sweep, baseline)
    yield* writeAtomically(md, renderSweepMarkdown(sweep, { survival }))
    yield* writeAtomically(html, yield* renderHtml(sweep, { survival }))
    for (const b of banners(analyse(sweep))) yield* Console.error(`WARNING: ${b}`)
    if (!sweep.languages.includes(baseline)) yield* Console.error(`WARNING: --baseline ${baseline}: no run of that language, so the verdict has no ratios`)
    yield* Console.log(
      writtenBlock(`Report of ${sweep.results.length} run(s) from ${sources.length} file(s) written:`, [["MD", md], ["HTML", html]])
    )
  })
).pipe(Command.withDescription("Re-render the Markdown and HTML reports from saved results; several files merge into one report."))
