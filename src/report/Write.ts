import { Effect } from "effect"
import { renderHtml } from "./Html.js"
import { renderJson, type Report } from "./Json.js"
import { renderMarkdown } from "./Markdown.js"
import { claimReportPaths, writeAtomically } from "./Output.js"
import { mergeSources, sourceOfReport } from "./Sweep.js"

/** Every report of a run, under one fresh stamp in `dir`. */
export const writeReports = (report: Report, dir: string) =>
  Effect.gen(function* () {
    const paths = yield* claimReportPaths(dir, report.generated.slice(0, 10))
    yield* writeAtomically(paths.json, renderJson(report))
    yield* writeAtomically(paths.md, renderMarkdown(report))
    const html = paths.json.replace(/\.json$/, ".html")
    yield* writeAtomically(html, yield* renderHtml(mergeSources([sourceOfReport(report, paths.json)])))
    return { ...paths, html }
  })
