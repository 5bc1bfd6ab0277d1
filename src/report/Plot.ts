/**
 * Charts drawn with Observable Plot when a report is written: Plot builds the SVG against a small
 * server-side DOM (linkedom) and the page gets the markup, so it still needs no script. Every
 * chart here takes plain data (names, numbers, a label for the tooltip), so any report can call
 * it. Tooltips are SVG <title> elements (Plot's `title` channel): exact values on hover, no script.
 *
 * Series that coincide stay visible: each series has its own colour and point shape, and points
 * of the same x are moved a few pixels apart (dodged), so one line never hides another.
 */
import * as Plot from "@observablehq/plot"
import { parseHTML } from "linkedom"

export const PALETTE = ["#4c6ef5", "#f08c00", "#2f9e44", "#e03131", "#7048e8", "#1098ad", "#d6336c", "#5c940d"]
export const colorAt = (i: number) => PALETTE[i % PALETTE.length]!
/** Filled shapes that stay tellable apart at 5px. */
const SYMBOLS = ["circle", "square", "triangle", "diamond", "star", "cross", "wye", "plus"] as const
export const symbolAt = (i: number) => SYMBOLS[i % SYMBOLS.length]!
const DASHES = ["6 3", "2 3", "8 3 2 3"] as const

/** The width charts are drawn at: the report's card, inside a 1280px window. */
export const CHART_WIDTH = 1040
const FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

type PlotDocument = NonNullable<Plot.PlotOptions["document"]>
let document: PlotDocument | undefined
const dom = () => (document ??= parseHTML("<!doctype html><html><body></body></html>").document as unknown as PlotDocument)

/**
 * Any Plot chart as markup (an <svg>, or a <figure> holding a legend and the <svg>). Every chart
 * of the report goes through here: the svg carries `data-chart-library="observable-plot"`.
 */
/**
 * Plot's default margins leave room for its own 10px labels; at the report's 12px an axis's label
 * ran into its tick labels (the x label into the rightmost ticks, the y label into 100%). Each chart
 * gets that much more room above and below, and is that much taller, so its plot area is unchanged.
 */
const LABEL_ROOM = { top: 10, bottom: 12 } as const

export const renderPlot = (options: Plot.PlotOptions): string => {
  const node = Plot.plot({
    width: CHART_WIDTH,
    style: { fontSize: "12px", fontFamily: FONT, background: "white" },
    ...options,
    marginTop: (options.marginTop ?? 20) + LABEL_ROOM.top,
    marginBottom: (options.marginBottom ?? 30) + LABEL_ROOM.bottom,
    ...(options.height !== undefined ? { height: options.height + LABEL_ROOM.top + LABEL_ROOM.bottom } : {}),
    document: dom()
  })
  for (const svg of [node, ...Array.from(node.querySelectorAll("svg"))].filter((n) => n.tagName.toLowerCase() === "svg" && n.getAttribute("viewBox") !== null))
    svg.setAttribute("data-chart-library", "observable-plot")
  return node.outerHTML
}

const percent = (x: number) => `${Math.round(x * 1000) / 10}%`
const leftMargin = (labels: ReadonlyArray<string>) => Math.min(280, Math.max(60, ...labels.map((l) => l.length * 7 + 16)))
const clip = (text: string, max = 38) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

export interface LineSeries {
  readonly name: string
  /** Colour and shape follow `group` (a language), dashes follow `variant` (a model): 0 is solid. */
  readonly group: number
  readonly variant?: number | undefined
  readonly points: ReadonlyArray<{ readonly x: number; readonly y: number; readonly title: string }>
}

/**
 * Lines with a point per x, on a 0-100% y axis (or any, with `yPercent: false`); x are whole
 * numbers (attempts, days). Points at one x are dodged apart so coinciding series stay visible.
 */
export const seriesChart = (options: {
  readonly series: ReadonlyArray<LineSeries>
  readonly xLabel: string
  readonly yLabel: string
  readonly yPercent?: boolean
  readonly curve?: "linear" | "step-after"
  readonly height?: number
}): string => {
  const { series } = options
  const names = series.map((s) => s.name)
  const spread = 10
  const dx = (i: number) => (i - (series.length - 1) / 2) * Math.min(spread, 60 / Math.max(1, series.length - 1))
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const yPercent = options.yPercent ?? true
  return renderPlot({
    height: options.height ?? 320,
    marginLeft: 56,
    marginRight: 40,
    x: { label: options.xLabel, domain: [Math.min(1, ...xs) - 0.3, Math.max(1, ...xs) + 0.3], ticks: [...new Set(xs)].sort((a, b) => a - b), tickFormat: "d" },
    y: { label: options.yLabel, grid: true, ...(yPercent ? { domain: [0, 1], tickFormat: "%" } : { nice: true, zero: true }) },
    color: { type: "categorical", domain: names, range: series.map((s) => colorAt(s.group)), legend: true },
    symbol: { domain: names, range: series.map((s) => symbolAt(s.group)) },
    marks: series.flatMap((s, i) => {
      const variant = s.variant ?? 0
      return [
        Plot.line(s.points, { x: "x", y: "y", dx: dx(i), stroke: () => s.name, strokeWidth: 2, strokeOpacity: 0.85, curve: options.curve ?? "linear", ...(variant > 0 ? { strokeDasharray: DASHES[(variant - 1) % DASHES.length]! } : {}) }),
        Plot.dot(s.points, { x: "x", y: "y", dx: dx(i), fill: () => s.name, symbol: () => s.name, r: 5, stroke: "white", strokeWidth: 1, title: "title", ariaDescription: `series ${s.name}` })
      ]
    })
  })
}

export interface IntervalRow {
  readonly label: string
  readonly group: number
  /** Undefined where nothing was measured: the row says `missing` instead of drawing a bar. */
  readonly value: number | undefined
  readonly low: number
  readonly high: number
  readonly title: string
  readonly missing?: string
}

/** A bar per row from 0 to its value on a 0-100% axis, with its interval as a rule and a point at the value. */
export const intervalChart = (options: { readonly rows: ReadonlyArray<IntervalRow>; readonly xLabel: string }): string => {
  const labels = options.rows.map((r) => r.label)
  const drawn = options.rows.filter((r) => r.value !== undefined)
  const missing = options.rows.filter((r) => r.value === undefined)
  return renderPlot({
    height: 50 + options.rows.length * 30,
    marginLeft: leftMargin(labels),
    marginRight: 30,
    x: { label: options.xLabel, domain: [0, 1], tickFormat: "%", grid: true },
    y: { label: null, domain: labels, tickFormat: (l: string) => clip(l), padding: 0.3 },
    marks: [
      Plot.barX(drawn, { x: "value", y: "label", fill: (r: IntervalRow) => colorAt(r.group), fillOpacity: 0.35, title: "title" }),
      Plot.ruleY(drawn, { x1: "low", x2: "high", y: "label", stroke: "#222", strokeWidth: 1.5, title: "title" }),
      Plot.tickX(drawn, { x: "low", y: "label", stroke: "#222", strokeWidth: 1.5, inset: 7 }),
      Plot.tickX(drawn, { x: "high", y: "label", stroke: "#222", strokeWidth: 1.5, inset: 7 }),
      Plot.dot(drawn, { x: "value", y: "label", fill: (r: IntervalRow) => colorAt(r.group), r: 5, stroke: "white", title: "title" }),
      Plot.text(missing, { x: 0, y: "label", text: (r: IntervalRow) => r.missing ?? "not measured", textAnchor: "start", dx: 6, fill: "#667", title: "title" })
    ]
  })
}

export interface DotRow {
  /** The row (a task). */
  readonly row: string
  /** The series (a language): its colour and shape. */
  readonly series: string
  readonly value: number
  readonly title: string
}

/**
 * A row per category with a point per series (a Cleveland dot plot): readable for hundreds of
 * rows where grouped bars are not. Points of one row are nudged apart vertically per series.
 */
export const dotRowsChart = (options: {
  readonly rows: ReadonlyArray<string>
  readonly series: ReadonlyArray<string>
  readonly points: ReadonlyArray<DotRow>
  readonly xLabel: string
  readonly log?: boolean
  readonly caption?: string
}): string => {
  const step = Math.max(20, options.series.length * 7 + 6)
  const dy = (s: string) => (options.series.indexOf(s) - (options.series.length - 1) / 2) * Math.min(6, (step - 8) / Math.max(1, options.series.length))
  return renderPlot({
    height: 70 + options.rows.length * step,
    marginLeft: leftMargin(options.rows),
    marginRight: 30,
    ...(options.caption !== undefined ? { title: options.caption } : {}),
    x: { label: options.xLabel, grid: true, ...(options.log ? { type: "log" as const } : { zero: true, nice: true }) },
    y: { label: null, domain: [...options.rows], tickFormat: (l: string) => clip(l) },
    color: { type: "categorical", domain: [...options.series], range: options.series.map((_, i) => colorAt(i)), legend: true },
    symbol: { domain: [...options.series], range: options.series.map((_, i) => symbolAt(i)) },
    marks: [
      Plot.ruleY(options.rows, { y: (r: string) => r, stroke: "#eee" }),
      ...options.series.map((s) =>
        Plot.dot(
          options.points.filter((p) => p.series === s),
          { x: "value", y: "row", dy: dy(s), fill: "series", symbol: "series", r: 4.5, stroke: "white", strokeWidth: 0.8, title: "title", ariaDescription: `series ${s}` }
        )
      )
    ]
  })
}

export interface ChangeRow {
  readonly label: string
  readonly a: number | undefined
  readonly b: number | undefined
  readonly title: string
}

/** Two values per row on a 0-100% axis, A as a grey point and B as a blue one, an arrow from A to B. */
export const changeChart = (options: { readonly rows: ReadonlyArray<ChangeRow>; readonly xLabel: string; readonly aName: string; readonly bName: string }): string => {
  const labels = options.rows.map((r) => r.label)
  const both = options.rows.filter((r) => r.a !== undefined && r.b !== undefined && r.a !== r.b)
  const points = options.rows.flatMap((r) => [
    ...(r.a !== undefined ? [{ label: r.label, side: options.aName, value: r.a, title: r.title }] : []),
    ...(r.b !== undefined ? [{ label: r.label, side: options.bName, value: r.b, title: r.title }] : [])
  ])
  const neither = options.rows.filter((r) => r.a === undefined && r.b === undefined)
  return renderPlot({
    height: 80 + options.rows.length * 30,
    marginLeft: leftMargin(labels),
    marginRight: 30,
    x: { label: options.xLabel, domain: [0, 1], tickFormat: "%", grid: true },
    y: { label: null, domain: labels, tickFormat: (l: string) => clip(l) },
    color: { domain: [options.aName, options.bName], range: ["#868e96", "#4c6ef5"], legend: true },
    symbol: { domain: [options.aName, options.bName], range: ["circle", "diamond"] },
    marks: [
      Plot.arrow(both, { x1: "a", x2: "b", y: "label", stroke: "#adb5bd", inset: 7, headLength: 7 }),
      ...[options.aName, options.bName].map((side, i) =>
        Plot.dot(
          points.filter((p) => p.side === side),
          { x: "value", y: "label", fill: "side", symbol: "side", r: 5.5, stroke: "white", dy: i === 0 ? -3 : 3, title: (p: { value: number; title: string }) => `${side}: ${percent(p.value)} · ${p.title}`, ariaDescription: `series ${side}` }
        )
      ),
      // Rates are over what both sides measured: a row ran on one side only (a language B added) has none.
      Plot.text(neither, { x: 0, y: "label", text: () => `not measured in both ${options.aName} and ${options.bName}`, textAnchor: "start", dx: 6, fill: "#667" })
    ]
  })
}
