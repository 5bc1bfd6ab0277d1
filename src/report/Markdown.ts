import type { RunResult } from "../domain/Result.js"
import type { Report } from "./Json.js"
import { costMarkdown, usd } from "./Cost.js"
import { attemptsCell, distinct, mdText, pyFloat } from "./format.js"
import { trialsMarkdown } from "./Trials.js"
import { survivalAnalysis } from "./Survival.js"
import { verdictMarkdown } from "./Verdict.js"
import { censusEntries, censusMarkdown } from "./Census.js"
import { analyse } from "./Analysis.js"
import { mergeSources, sourceOfReport } from "./Sweep.js"
import { headToHeadMarkdown } from "./SweepMarkdown.js"

const key = (r: Pick<RunResult, "task" | "language" | "model">) => `${r.task}\u0000${r.language}\u0000${r.model}`

/** The seed's Markdown report: a summary table, per-task details and notes, for the languages actually run. */
export const renderMarkdown = (report: Report): string => [...markdownParts(report)].join("")

/** Lines held before they go to the file: a report of many runs is never one string, nor one array of every line. */
const FLUSH_LINES = 2048

/** The same report in parts, as `writeAtomically` writes it: joined, they are `renderMarkdown`'s text. */
export function* markdownParts(report: Report): Generator<string> {
  const trials = report.config.trials ?? 1
  // With trials, the per-run tables show trial 1; the pass-rate and cost sections cover them all.
  const results = trials > 1 ? report.results.filter((r) => r.trial === 1) : report.results
  // Filled run by run: a pair per run first (results.map) was a few MB more at once in a report of 100,000 runs.
  const index = new Map<string, RunResult>()
  for (const r of results) index.set(key(r), r)
  const tasks = distinct(results.map((r) => r.task))
  const languages = distinct(report.config.languages.map((l) => l.name))
  const models = distinct(report.config.models.map((m) => m.key))
  const combos = languages.flatMap((language) => models.map((model) => ({ language, model })))
  const generated = report.generated.slice(0, 16).replace("T", " ")

  let flushed = false
  /** The lines so far, as the tail of `lines.join("\n")` over the whole report; then none are held. */
  const flush = () => {
    if (lines.length === 0) return ""
    const part = (flushed ? "\n" : "") + lines.join("\n")
    flushed = true
    lines.length = 0
    return part
  }
  const lines: Array<string> = [
    `# Closed-loop benchmark: ${languages.map(mdText).join(" vs ")} per-task economics`,
    "",
    `Generated: ${generated} UTC  `,
    `Models: ${report.config.models.map((m) => `${mdText(m.key)} (${mdText(m.id)})`).join(", ")}  `,
    `Retry cap: ${report.config.retry_cap}`,
    "",
    "The verdict comes first; the tables after it are the seed's. The `.html` report beside this file adds success rates with their 95% intervals, " +
      "success by attempt, the head to head against the baseline and every attempt; `ilo-bench report` writes the same as Markdown.",
    ""
  ]
  if (!report.complete) lines.push("> **Partial run**: not every planned run finished; see the notes.", "")
  // The answer first, as the lines above say: every trial counts, as in the JSON's analysis.
  const survival = report.analysis ?? survivalAnalysis(report.results, { languages, models })
  lines.push(...verdictMarkdown(survival))
  if (trials > 1)
    lines.push(...trialsMarkdown(report.results, trials), "The run tables below show trial 1 of each run, the cost every trial; the JSON has every trial.", "")
  lines.push(
    "## Summary",
    "",
    "This table shows per-task economics across languages and models.",
    "Columns: total generation tokens (gen), input tokens (inp), attempts to success (att), wall time (s), outcome.",
    "",
    "| task | " + combos.map((c) => `${mdText(c.language)}/${mdText(c.model)}: gen | inp | att | time | outcome`).join(" | ") + " |",
    "|---".repeat(1 + combos.length * 5) + "|"
  )
  for (const task of tasks) {
    let row = `| ${mdText(task)} |`
    for (const c of combos) {
      const r = index.get(key({ task, language: c.language, model: c.model }))
      row += r
        ? ` ${r.generation_tokens} | ${r.input_tokens} | ${attemptsCell(r.attempts_to_success)} | ${pyFloat(r.wall_time_s)}s | ${r.final_outcome} |`
        : " - | - | - | - | - |"
    }
    lines.push(row)
    if (lines.length >= FLUSH_LINES) yield flush()
  }
  // The money was spent on every trial.
  lines.push("", ...costMarkdown(report.results))
  lines.push(...censusMarkdown(report.analysis?.census ?? censusEntries(report.results, new Map(), { languages, models })))
  // The same head to head as the HTML report and `ilo-bench report`.
  lines.push(...headToHeadMarkdown(analyse(mergeSources([sourceOfReport(report, "")], { oneRunEach: true })), survival.baseline))
  lines.push("## Per-task details", "")
  for (const task of tasks) {
    lines.push(`### ${mdText(task)}`)
    for (const c of combos) {
      const r = index.get(key({ task, language: c.language, model: c.model }))
      if (!r) continue
      lines.push(
        "",
        `**${mdText(c.language)} / ${mdText(c.model)}**  `,
        `- Generation tokens: ${r.generation_tokens}  `,
        `- Input tokens (context): ${r.input_tokens}  `,
        `- Attempts total: ${r.attempts_total}  `,
        `- Attempts to success: ${r.attempts_to_success ?? "None"}  `,
        `- Repair tokens by turn: [${r.repair_tokens_by_turn.join(", ")}]  `,
        `- Wall time: ${pyFloat(r.wall_time_s)}s  `,
        `- Outcome: **${r.final_outcome}**${r.flaky ? " (flaky: its program did not work on every --confirm run)" : ""}  `,
        `- Cost: ${usd(r.cost_usd)} (input: ${r.input_cache_miss_tokens} uncached, ${r.input_cache_write_tokens} cache write, ${r.input_cache_hit_tokens} cache read)  `
      )
      if (r.known_issue !== undefined) lines.push(`- Known interpreter issue: ${mdText(r.known_issue)}  `)
      if (r.reasoning_tokens !== 0) lines.push(`- Reasoning tokens: ${r.reasoning_tokens ?? "unknown (the provider reported no split)"}  `)
      if (r.abandoned_requests.length > 0)
        lines.push(`- Abandoned requests: ${r.abandoned_requests.length} (${r.abandoned_requests.map((a) => `attempt ${a.attempt}, ${a.reason}, ${a.prompt_chars} prompt chars`).join("; ")}): billing unknown, not in the counts above  `)
      if (r.api_error) lines.push(`- API error: ${r.api_error.kind}${r.api_error.status ? ` ${r.api_error.status}` : ""}: ${mdText(r.api_error.message)}  `)
    }
    lines.push("")
    if (lines.length >= FLUSH_LINES) yield flush()
  }
  lines.push("## Notes", "")
  for (const note of report.notes) lines.push(`- ${mdText(note)}`)
  lines.push(
    `- Prompt layout: ${report.config.prompt_layout}; prompt cache: ${report.config.prompt_cache ?? "warm"}; skill modules: ${
      report.skills.length === 0 ? "none sent" : report.skills.map((s) => `${s.module} (${s.source}, ${s.sha256.slice(0, 12)})`).join(", ")
    }.`,
    "- One-shot economics (first attempt only) can be derived from `repair_tokens_by_turn` and `attempts` in the JSON.",
    ""
  )
  yield flush()
}
