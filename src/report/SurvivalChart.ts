import * as Plot from "@observablehq/plot"
import { percentShort } from "./format.js"
import type { Metric, SurvivalAnalysis } from "./Survival.js"
import { colorAt, renderPlot, symbolAt } from "./Plot.js"

/**
 * The survival curves: share of runs not yet working against what they had spent, one line per
 * language x model. The data (`survivalSeries`) is apart from the drawing (`survivalCurveSvg`), so
 * that a chart library can take the series as they are.
 */

export interface SurvivalSeries {
  readonly name: string
  readonly language: string
  readonly model: string
  readonly color: string
  readonly dashed: boolean
  /** [spend, share not yet working]: a step down at each spend where a run got working. */
  readonly points: ReadonlyArray<readonly [number, number]>
}

/** One series per language x model with a curve; colour by language, dashed for the second model on. */
export const survivalSeries = (a: SurvivalAnalysis, metric: Metric = "total_tokens"): ReadonlyArray<SurvivalSeries> => {
  const languages = [...new Set(a.survival.map((s) => s.language))]
  const models = [...new Set(a.survival.map((s) => s.model))]
  return a.survival
    .filter((s) => s.curve[metric].length > 0)
    .map((s) => ({
      name: `${s.language} / ${s.model}`,
      language: s.language,
      model: s.model,
      color: colorAt(languages.indexOf(s.language)),
      dashed: models.indexOf(s.model) > 0,
      points: s.curve[metric]
    }))
}

/**
 * Step lines on a spend axis from 0 and a 0-100% y axis, drawn by the chart library; a point at
 * each step carries the exact spend and share as its tooltip. Colour and shape follow the
 * language, dashes the model, so lines that coincide stay tellable apart.
 */
export const survivalCurveSvg = (series: ReadonlyArray<SurvivalSeries>, xTitle = "tokens spent (input + output)") => {
  const names = series.map((s) => s.name)
  const languages = [...new Set(series.map((s) => s.language))]
  // Identical curves (two languages that both worked first time) are moved a few pixels apart.
  const dx = (i: number) => (i - (series.length - 1) / 2) * Math.min(6, 30 / Math.max(1, series.length - 1))
  const points = (s: SurvivalSeries) =>
    s.points.map(([t, v]) => ({ t, v, title: `${s.name}: ${percentShort(v)} not yet working after ${Math.round(t).toLocaleString("en-US")}` }))
  return renderPlot({
    height: 320,
    marginLeft: 56,
    marginRight: 40,
    x: { label: xTitle, grid: true, zero: true, nice: true },
    y: { label: "share not yet working", domain: [0, 1], tickFormat: "%", grid: true },
    color: { type: "categorical", domain: names, range: series.map((s) => s.color), legend: true },
    symbol: { domain: names, range: series.map((s) => symbolAt(languages.indexOf(s.language))) },
    marks: [
      Plot.ruleY([0.5], { stroke: "#bbb", strokeDasharray: "3 3" }),
      ...series.flatMap((s, i) => [
        Plot.line(points(s), { x: "t", y: "v", stroke: () => s.name, dx: dx(i), strokeWidth: 2.5, strokeOpacity: 0.85, curve: "step-after", ...(s.dashed ? { strokeDasharray: "6 4" } : {}) }),
        Plot.dot(points(s), { x: "t", y: "v", dx: dx(i), fill: () => s.name, symbol: () => s.name, r: 4, stroke: "white", strokeWidth: 1, title: "title", ariaDescription: `series ${s.name}` })
      ])
    ]
  })
}
