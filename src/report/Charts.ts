import { totalTokens, type Analysis } from "./Analysis.js"
import { barChart, colorAt, columnChart, lineChart } from "./Svg.js"
import { mean } from "./Stats.js"

/** The report's charts, as SVG drawn here when the report is written: the page needs no script. */

const series = (language: string, model: string) => `${language} / ${model}`

/** Share of runs working after attempt k, one line per language x model (dashed for the second model on). */
export const successCurveSvg = (a: Analysis) =>
  lineChart({
    series: a.groups.map((g, i) => ({
      name: series(g.language, g.model),
      color: colorAt(i),
      dashed: a.sweep.models.indexOf(g.model) > 0,
      values: g.curve
    })),
    xTitle: "attempt k",
    yTitle: "share working after k attempts"
  })

/** Success rate per language x model with its 95% Wilson interval, coloured by language. */
export const successRateSvg = (a: Analysis) =>
  barChart({
    rows: a.groups.map((g) => ({
      label: series(g.language, g.model),
      bars: [{ value: g.rate ?? 0, color: colorAt(a.sweep.languages.indexOf(g.language)), low: g.interval.low, high: g.interval.high }]
    })),
    axisTitle: "success rate (95% Wilson interval)"
  })

/**
 * Tokens to success per task, languages side by side; one chart per model. With trials, the mean
 * over the trials that worked. Runs that never worked have no bar.
 */
export const tokensPerTaskSvg = (a: Analysis, model: string) => {
  const tokensOf = (task: string, language: string) =>
    mean(a.trialsOf(task, language, model).flatMap((r) => (r.final_outcome === "working" ? [totalTokens(r)] : [])))
  const tokens = a.sweep.tasks.flatMap((t) => a.sweep.languages.flatMap((l) => [tokensOf(t, l) ?? 0])).filter((t) => t > 0)
  // When languages differ a hundredfold, a linear axis hides the cheaper one: use a log axis.
  const log = tokens.length > 1 && Math.max(...tokens) / Math.min(...tokens) > 20
  return columnChart({
    title: model,
    categories: a.sweep.tasks,
    groups: a.sweep.languages.map((name, i) => ({ name, color: colorAt(i) })),
    value: tokensOf,
    yTitle: log ? "tokens to success (log scale)" : "tokens to success",
    log
  })
}

export interface RenderedCharts {
  readonly curve: string
  readonly rates: string
  readonly tokens: ReadonlyArray<{ readonly model: string; readonly svg: string }>
}

/** Above this many tasks a bar per task is unreadable: the grid and the JSON say it better. */
export const MAX_TASKS_CHARTED = 300

export const renderCharts = (a: Analysis): RenderedCharts => ({
  curve: successCurveSvg(a),
  rates: successRateSvg(a),
  tokens: a.sweep.tasks.length > MAX_TASKS_CHARTED ? [] : a.sweep.models.map((model) => ({ model, svg: tokensPerTaskSvg(a, model) }))
})
