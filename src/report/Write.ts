import { Effect } from "effect"
import { renderHtml } from "./Html.js"
import { renderJson, type Report } from "./Json.js"
import { markdownParts } from "./Markdown.js"
import { writeAtomically, type ReportPaths } from "./Output.js"
import { mergeSources, sourceOfReport } from "./Sweep.js"

/**
 * Every report of a run, under the stamp it claimed when it started (a resume rewrites them whole).
 * The HTML shows the analysis the JSON holds, not one made again from the runs.
 */
export const writeReports = (report: Report, paths: ReportPaths) =>
  Effect.gen(function* () {
    yield* writeAtomically(paths.json, renderJson(report))
    yield* writeAtomically(paths.md, markdownParts(report))
    yield* writeAtomically(paths.html, yield* renderHtml(mergeSources([sourceOfReport(report, paths.json)], { oneRunEach: true }), { survival: report.analysis, census: report.analysis?.census }))
    return paths
  })
