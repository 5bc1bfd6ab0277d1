import { Args, Command, Options } from "@effect/cli"
import { FileSystem, Path } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import { compareSummary, compareSweeps, renderCompareHtml, renderCompareMarkdown } from "../report/Compare.js"
import { outputDirectory, writeAtomically } from "../report/Output.js"
import { writtenBlock } from "../report/Summary.js"
import { mergeSources } from "../report/Sweep.js"
import { readSource, stem } from "./reportFiles.js"
import { baselineOption } from "./report.js"

const before = Args.text({ name: "A" }).pipe(Args.withDescription("The earlier run's results (any format `report` reads)."))
const after = Args.text({ name: "B" }).pipe(Args.withDescription("The later run's results."))
const outputDir = Options.text("output-dir").pipe(
  Options.withDescription("Where the comparison goes (default: B's directory)."),
  Options.optional
)

/** What changed between two runs: per run, and per language x model with McNemar and a bootstrap interval. */
export const compareCommand = Command.make("compare", { outputDir, baseline: baselineOption, before, after }, ({ outputDir, baseline, before, after }) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const fs = yield* FileSystem.FileSystem
    const a = mergeSources([yield* readSource(before)])
    const b = mergeSources([yield* readSource(after)])
    const comparison = compareSweeps(a, b, baseline)
    const dir = Option.getOrElse(outputDir, () => path.dirname(after))
    yield* outputDirectory(dir)
    // Runs of different directories share their date-stamped names: a comparison never overwrites another.
    const base = `compare-${stem(path, before)}-vs-${stem(path, after)}`
    let name = base
    for (let n = 2; yield* fs.exists(path.join(dir, `${name}.md`)).pipe(Effect.orElseSucceed(() => false)); n++) name = `${base}-${n}`
    const md = path.join(dir, `${name}.md`)
    const html = path.join(dir, `${name}.html`)
    yield* writeAtomically(md, renderCompareMarkdown(comparison))
    yield* writeAtomically(html, yield* renderCompareHtml(comparison))
    yield* Console.log(compareSummary(comparison))
    yield* Console.log(`\n${writtenBlock("Comparison written:", [["MD", md], ["HTML", html]])}`)
  })
).pipe(Command.withDescription("Compare two runs: outcome changes, token and attempt deltas, success-rate tests."))
