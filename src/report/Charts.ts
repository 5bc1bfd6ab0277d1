import { totalTokens, type Analysis } from "./Analysis.js"
import { dotRowsChart, intervalChart, seriesChart } from "./Plot.js"
import { mean } from "./Stats.js"
import { fmtInt, fmtPct } from "./SweepMarkdown.js"

/** The report's charts, drawn by the chart library (./Plot.ts) when the report is written: the page needs no script. */

const series = (language: string, model: string) => `${language} / ${model}`

/**
 * Share of runs working after attempt k, one line per language x model: colour and point shape
 * per language, dashes for the second model on; coinciding points are dodged apart.
 */
export const successCurveSvg = (a: Analysis) =>
  seriesChart({
    // A group whose runs all ended in "error" measured nothing: no line at 0 for it.
    series: a.groups.filter((g) => g.measured > 0).map((g) => ({
      name: series(g.language, g.model),
      group: a.sweep.languages.indexOf(g.language),
      variant: a.sweep.models.indexOf(g.model),
      points: g.curve.map((y, i) => ({
        x: i + 1,
        y,
        title: `${series(g.language, g.model)}: ${fmtPct(y)} working after at most ${i + 1} attempt(s) (${Math.round(y * g.measured)} of ${g.measured} runs)`
      }))
    })),
    xLabel: "attempt k",
    yLabel: "share working after k attempts"
  })

/**
 * Success rate per language x model with its 95% Wilson interval, coloured by language. A group
 * whose runs all ended in "error" measured nothing: it gets a note, not a 0-100% interval.
 */
export const successRateSvg = (a: Analysis) =>
  intervalChart({
    rows: a.groups.map((g) => ({
      label: series(g.language, g.model),
      group: a.sweep.languages.indexOf(g.language),
      value: g.measured === 0 ? undefined : g.rate,
      low: g.interval.low,
      high: g.interval.high,
      title:
        g.measured === 0
          ? `${series(g.language, g.model)}: no run reached the model (${g.errors} of ${g.runs} ended in error)`
          : `${series(g.language, g.model)}: ${fmtPct(g.rate)} working (${g.working} of ${g.measured} measured runs), 95% interval ${fmtPct(g.interval.low)}–${fmtPct(g.interval.high)}`,
      missing: `no run reached the model: ${g.errors} of ${g.runs} ended in error`
    })),
    xLabel: "success rate (95% Wilson interval)"
  })

/**
 * Tokens to success per task, a row per task and a point per language; one chart per model. With
 * trials, the mean over the trials that worked. Runs that never worked have no point.
 */
export const tokensPerTaskSvg = (a: Analysis, model: string) => {
  const points = a.sweep.tasks.flatMap((task) =>
    a.sweep.languages.flatMap((language) => {
      const worked = a.trialsOf(task, language, model).flatMap((r) => (r.final_outcome === "working" ? [totalTokens(r)] : []))
      const value = mean(worked)
      if (value === undefined || value <= 0) return []
      const of = a.sweep.trials > 1 ? ` (mean of ${worked.length} working trial(s))` : ""
      return [{ row: task, series: language, value, title: `${task} · ${language} · ${model}: ${fmtInt(value)} tokens to success${of}` }]
    })
  )
  const tokens = points.map((p) => p.value)
  // When languages differ a hundredfold, a linear axis hides the cheaper one: use a log axis.
  const log = tokens.length > 1 && Math.max(...tokens) / Math.min(...tokens) > 20
  return dotRowsChart({
    rows: a.sweep.tasks,
    // A language with no working run has no point: it stays out of the legend too.
    series: a.sweep.languages.filter((l) => points.some((p) => p.series === l)),
    points,
    xLabel: log ? "tokens to success (log scale)" : "tokens to success",
    log,
    caption: model
  })
}

export interface RenderedCharts {
  readonly curve: string
  readonly rates: string
  readonly tokens: ReadonlyArray<{ readonly model: string; readonly svg: string }>
}

/** Above this many tasks a row per task is unreadable: the grid and the JSON say it better. */
export const MAX_TASKS_CHARTED = 300

export const renderCharts = (a: Analysis): RenderedCharts => ({
  curve: successCurveSvg(a),
  rates: successRateSvg(a),
  tokens: a.sweep.tasks.length > MAX_TASKS_CHARTED ? [] : a.sweep.models.map((model) => ({ model, svg: tokensPerTaskSvg(a, model) }))
})
