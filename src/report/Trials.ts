import type { RunResult } from "../domain/Result.js"
import { distinct, fixedShort, mdText, padLeft, padRight } from "./format.js"
import { passAtK, wilsonInterval } from "./Stats.js"

/** Pass rate of one language x model over every task and trial, with its 95% interval and pass@k. */
export interface PassRate {
  readonly language: string
  readonly model: string
  /** Runs that reached the model; "error" runs say nothing about the language and are left out. */
  readonly runs: number
  readonly working: number
  readonly errors: number
  /** null when no run reached the model. */
  readonly rate: number | null
  readonly low: number
  readonly high: number
  /**
   * passAtK[k - 1]: the mean over tasks of the unbiased pass@k; null unless every measured task has
   * k scored trials. Averaging over the tasks that have would leave out exactly those whose trials
   * ended in "error", and overstate or understate the rest.
   */
  readonly passAtK: ReadonlyArray<number | null>
}

export const passRates = (results: ReadonlyArray<RunResult>, trials: number): ReadonlyArray<PassRate> => {
  const combos = distinct(results.map((r) => `${r.language}\u0000${r.model}`))
  return combos.map((combo) => {
    const [language = "", model = ""] = combo.split("\u0000")
    const mine = results.filter((r) => r.language === language && r.model === model)
    const scored = mine.filter((r) => r.final_outcome !== "error")
    const working = scored.filter((r) => r.final_outcome === "working").length
    const { low, high } = wilsonInterval(working, scored.length)
    // Every task of the group, one whose trials all ended in "error" too (n = 0): its pass@k is unknown.
    const perTask = distinct(mine.map((r) => r.task)).map((task) => {
      const runs = scored.filter((r) => r.task === task)
      return { n: runs.length, c: runs.filter((r) => r.final_outcome === "working").length }
    })
    const passAt = Array.from({ length: trials }, (_, i) => {
      const k = i + 1
      return perTask.length === 0 || perTask.some((t) => t.n < k) ? null : perTask.reduce((sum, t) => sum + passAtK(t.n, t.c, k), 0) / perTask.length
    })
    return {
      language,
      model,
      runs: scored.length,
      working,
      errors: mine.length - scored.length,
      rate: scored.length === 0 ? null : working / scored.length,
      low,
      high,
      passAtK: passAt
    }
  })
}

const pct = (x: number) => `${fixedShort(x * 100, 1, 100)}%`
const kCell = (x: number | null) => (x === null ? "-" : fixedShort(x, 3))
/** The rate and its interval, or "-" for both when nothing was measured. */
const rateCells = (p: PassRate) => (p.rate === null ? { rate: "-", ci: "-" } : { rate: pct(p.rate), ci: `[${pct(p.low)}, ${pct(p.high)}]` })
/** Why a pass@k is "-" although k is within the trials: said under the table when it happens. */
const shortNote = (rates: ReadonlyArray<PassRate>, ks: ReadonlyArray<number>) =>
  rates.some((p) => p.runs > 0 && ks.some((k) => p.passAtK[k - 1] === null))
    ? ["pass@k is - where a task has fewer than k measured trials (the others ended in \"error\"): a mean over the other tasks would leave those out."]
    : []

/** Which k get a column: 1, N, and the powers of two between (all of them up to 5). */
export const shownKs = (trials: number) =>
  trials <= 5
    ? Array.from({ length: trials }, (_, i) => i + 1)
    : distinct([1, ...Array.from({ length: Math.floor(Math.log2(trials)) }, (_, i) => 2 ** (i + 1)), trials]).filter((k) => k <= trials)

/** The stdout block after the summary when --trials > 1. */
export const trialsSummary = (results: ReadonlyArray<RunResult>, trials: number) => {
  const ks = shownKs(trials)
  const lines = [
    `\nPass rates over ${trials} trials (95% Wilson interval; pass@k, unbiased estimator, mean over tasks):`,
    `${padRight("lang", 10)} ${padRight("model", 10)} ${padLeft("working", 9)} ${padLeft("rate", 7)} ${padLeft("95% CI", 16)} ` +
      ks.map((k) => padLeft(`pass@${k}`, 7)).join(" ")
  ]
  const rates = passRates(results, trials)
  for (const p of rates) {
    const cells = rateCells(p)
    lines.push(
      `${padRight(p.language, 10)} ${padRight(p.model, 10)} ${padLeft(`${p.working}/${p.runs}`, 9)} ${padLeft(cells.rate, 7)} ` +
        `${padLeft(cells.ci, 16)} ` +
        ks.map((k) => padLeft(kCell(p.passAtK[k - 1] ?? null), 7)).join(" ")
    )
  }
  return [...lines, ...shortNote(rates, ks)].join("\n")
}

/** The Markdown section when --trials > 1. */
export const trialsMarkdown = (results: ReadonlyArray<RunResult>, trials: number): ReadonlyArray<string> => {
  const ks = shownKs(trials)
  const rates = passRates(results, trials)
  return [
    "## Pass rates over trials",
    "",
    `Each task × language × model ran ${trials} times. Rate: working runs over runs that reached the model, ` +
      "with its 95% Wilson score interval. pass@k: the unbiased estimator 1 − C(n−c, k)/C(n, k) per task, averaged over tasks.",
    "",
    "| language | model | working | rate | 95% CI | " + ks.map((k) => `pass@${k}`).join(" | ") + " |",
    "|---".repeat(5 + ks.length) + "|",
    ...rates.map((p) => {
      const cells = rateCells(p)
      return (
        `| ${mdText(p.language)} | ${mdText(p.model)} | ${p.working}/${p.runs}${p.errors > 0 ? ` (+${p.errors} error)` : ""} | ${cells.rate} | ${cells.ci} | ` +
        ks.map((k) => kCell(p.passAtK[k - 1] ?? null)).join(" | ") +
        " |"
      )
    }),
    "",
    ...shortNote(rates, ks).flatMap((note) => [note, ""])
  ]
}
