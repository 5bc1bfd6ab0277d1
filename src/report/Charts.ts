import { Effect } from "effect"
import type { TopLevelSpec } from "vega-lite"
import { totalTokens, type Analysis } from "./Analysis.js"

/**
 * The report's charts: Vega-Lite specifications, rendered to SVG here, in Node, when the report
 * is written (Vega's headless renderer, no canvas, no browser), so the page needs no script.
 */

const FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

const config: TopLevelSpec["config"] = {
    font: FONT,
    view: { stroke: null },
    axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, gridColor: "#e8e8ee", domainColor: "#999" },
    legend: { labelFontSize: 11, titleFontSize: 12, orient: "bottom" },
    range: { category: ["#4c6ef5", "#f08c00", "#2f9e44", "#e03131", "#7048e8", "#1098ad", "#d6336c", "#5c940d"] }
}

const base = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", background: "white", config }

// The chart libraries are most of the bundle: load them when a report is rendered, not at start-up.
const libraries = Effect.promise(() => Promise.all([import("vega"), import("vega-lite")]))

/** Renders one Vega-Lite spec to an SVG string. */
export const renderSvg = (spec: TopLevelSpec) =>
  Effect.flatMap(libraries, ([vega, vegaLite]) =>
    Effect.promise(() => {
      const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" })
      return view.toSVG().finally(() => view.finalize())
    })
  )

const series = (language: string, model: string) => `${language} / ${model}`

/** Share of runs working after attempt k, one line per language x model. */
export const successCurveSpec = (a: Analysis): TopLevelSpec => ({
  ...base,
  width: 520,
  height: 260,
  data: {
    values: a.groups.flatMap((g) =>
      g.curve.map((share, i) => ({ attempt: i + 1, share, series: series(g.language, g.model), language: g.language, model: g.model }))
    )
  },
  mark: { type: "line", point: { filled: true, size: 60 }, strokeWidth: 2.5 },
  encoding: {
    x: { field: "attempt", type: "ordinal", title: "attempt k", axis: { labelAngle: 0 } },
    y: { field: "share", type: "quantitative", title: "share working after k attempts", scale: { domain: [0, 1] }, axis: { format: "%" } },
    color: { field: "series", type: "nominal", title: null },
    strokeDash: { field: "model", type: "nominal", title: null, legend: null }
  }
})

/** Success rate per language x model with its 95% Wilson interval. */
export const successRateSpec = (a: Analysis): TopLevelSpec => ({
  ...base,
  width: 520,
  height: { step: 26 },
  data: {
    values: a.groups.map((g) => ({
      series: series(g.language, g.model),
      language: g.language,
      rate: g.rate ?? 0,
      low: g.interval.low,
      high: g.interval.high
    }))
  },
  encoding: { y: { field: "series", type: "nominal", title: null, sort: null } },
  layer: [
    {
      mark: { type: "bar", height: { band: 0.7 }, cornerRadiusEnd: 2 },
      encoding: {
        x: { field: "rate", type: "quantitative", title: "success rate (95% Wilson interval)", scale: { domain: [0, 1] }, axis: { format: "%" } },
        color: { field: "language", type: "nominal", legend: null }
      }
    },
    {
      mark: { type: "rule", color: "#222", strokeWidth: 1.5 },
      encoding: { x: { field: "low", type: "quantitative" }, x2: { field: "high" } }
    }
  ]
})

/** Tokens to success per task, languages side by side; one chart per model. Runs that never worked have no bar. */
export const tokensPerTaskSpec = (a: Analysis, model: string): TopLevelSpec => {
  const values = a.sweep.tasks.flatMap((task) =>
    a.sweep.languages.flatMap((language) => {
      const r = a.cell(task, language, model)
      return r?.final_outcome === "working" ? [{ task, language, tokens: totalTokens(r) }] : []
    })
  )
  const tokens = values.map((v) => v.tokens).filter((t) => t > 0)
  // When languages differ a hundredfold, a linear axis hides the cheaper one: use a log axis.
  const log = tokens.length > 1 && Math.max(...tokens) / Math.min(...tokens) > 20
  // Bars on a log axis start at the power of ten below the smallest value, not at zero.
  const floor = log ? Math.pow(10, Math.floor(Math.log10(Math.min(...tokens)))) : 0
  return {
  ...base,
  width: { step: Math.max(24, 11 * a.sweep.languages.length) },
  height: 220,
  title: { text: model, anchor: "start", fontSize: 13, fontWeight: 600 },
  data: { values },
  mark: { type: "bar", cornerRadiusEnd: 1 },
  encoding: {
    x: { field: "task", type: "nominal", title: null, sort: [...a.sweep.tasks], scale: { domain: [...a.sweep.tasks] }, axis: { labelAngle: -40, labelLimit: 140 } },
    xOffset: { field: "language", type: "nominal", sort: [...a.sweep.languages], scale: { domain: [...a.sweep.languages] } },
    y: {
      field: "tokens",
      type: "quantitative",
      title: log ? "tokens to success (log scale)" : "tokens to success",
      scale: log ? { type: "log", domainMin: floor } : {},
      axis: { format: "~s" }
    },
    y2: { datum: floor },
    color: { field: "language", type: "nominal", title: null, sort: [...a.sweep.languages], scale: { domain: [...a.sweep.languages] } }
  }
  }
}

export interface RenderedCharts {
  readonly curve: string
  readonly rates: string
  readonly tokens: ReadonlyArray<{ readonly model: string; readonly svg: string }>
}

/** Above this many tasks a bar per task is unreadable, and Vega's layout overflows its stack. */
export const MAX_TASKS_CHARTED = 300

export const renderCharts = (a: Analysis) =>
  Effect.all({
    curve: renderSvg(successCurveSpec(a)),
    rates: renderSvg(successRateSpec(a)),
    tokens:
      a.sweep.tasks.length > MAX_TASKS_CHARTED
        ? Effect.succeed([])
        : Effect.forEach(a.sweep.models, (model) =>
            Effect.map(renderSvg(tokensPerTaskSpec(a, model)), (svg) => ({ model, svg }))
          )
  })
