/**
 * The report's charts, drawn as SVG text directly: three shapes (horizontal bars with an interval,
 * lines over attempts, columns per task) need no chart library, and drawing them costs
 * microseconds where loading and running one cost a third of a second of every benchmark.
 * Every mark carries class="mark", so a test can count what was drawn.
 */
import { esc, groupDigits, percentShort } from "./format.js"

export const FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
export const PALETTE = ["#4c6ef5", "#f08c00", "#2f9e44", "#e03131", "#7048e8", "#1098ad", "#d6336c", "#5c940d"]
export const colorAt = (i: number) => PALETTE[i % PALETTE.length]!

const GRID = "#e8e8ee"
const AXIS = "#999"
const TEXT = "#333"
const MUTED = "#667"

/** Coordinates with at most one decimal: smaller files, no visible difference. */
const n = (x: number) => String(Math.round(x * 10) / 10)
/** Roughly how wide a label is at 11px, for layout. */
const textWidth = (text: string, size = 11) => text.length * size * 0.58

const clip = (text: string, maxPx: number, size = 11) => {
  const fits = Math.floor(maxPx / (size * 0.58))
  return text.length <= fits ? text : `${text.slice(0, Math.max(1, fits - 1))}…`
}

const label = (x: number, y: number, text: string, attrs = "") =>
  `<text x="${n(x)}" y="${n(y)}" ${attrs}>${esc(text)}</text>`

const svg = (width: number, height: number, title: string, body: ReadonlyArray<string>) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" role="img" aria-label="${esc(title)}" font-family="${esc(FONT)}" font-size="11" fill="${TEXT}"><rect width="100%" height="100%" fill="white"/>${body.join("")}</svg>`

export const percent = (x: number) => `${Math.round(x * 100)}%`

/** 1234 -> "1.2k", 35000 -> "35k", 1500000 -> "1.5M" (d3's "~s"). */
export const siFormat = (x: number) => {
  const abs = Math.abs(x)
  const [div, suffix] = abs >= 1e9 ? [1e9, "G"] : abs >= 1e6 ? [1e6, "M"] : abs >= 1e3 ? [1e3, "k"] : [1, ""]
  return `${Number((x / div).toPrecision(3))}${suffix}`
}

/** About `count` round ticks from 0 to at least `max` (steps of 1, 2 or 5 times a power of ten). */
export const niceTicks = (max: number, count = 5): ReadonlyArray<number> => {
  if (!(max > 0)) return [0, 1]
  const raw = max / count
  const power = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power
  const ticks: Array<number> = []
  for (let t = 0; t < max + step / 2; t += step) ticks.push(Number(t.toPrecision(12)))
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)))
  return ticks
}

/** A swatch and a name per entry, in rows that wrap at `width`. */
const legend = (entries: ReadonlyArray<{ readonly name: string; readonly color: string; readonly dashed?: boolean }>, x0: number, y0: number, width: number) => {
  const parts: Array<string> = []
  let x = x0
  let y = y0
  for (const e of entries) {
    const w = 22 + textWidth(e.name) + 16
    if (x > x0 && x + w > x0 + width) {
      x = x0
      y += 18
    }
    parts.push(
      `<line x1="${n(x)}" y1="${n(y - 4)}" x2="${n(x + 16)}" y2="${n(y - 4)}" stroke="${e.color}" stroke-width="3"${e.dashed ? ' stroke-dasharray="4 3"' : ""}/>`,
      label(x + 22, y, e.name)
    )
    x += w
  }
  return { svg: parts.join(""), bottom: y + 8 }
}

const rowsHeight = (entries: ReadonlyArray<{ readonly name: string }>, width: number) => {
  let rows = 1
  let x = 0
  for (const e of entries) {
    const w = 22 + textWidth(e.name) + 16
    if (x > 0 && x + w > width) {
      rows++
      x = 0
    }
    x += w
  }
  return rows * 18
}

/** A horizontal axis from 0 to 1 in percent, with grid lines over `height`. */
const percentAxis = (x0: number, plotWidth: number, top: number, height: number, title: string) => {
  const parts: Array<string> = []
  for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    const x = x0 + t * plotWidth
    parts.push(`<line x1="${n(x)}" y1="${n(top)}" x2="${n(x)}" y2="${n(top + height)}" stroke="${GRID}"/>`)
    parts.push(label(x, top + height + 14, percent(t), 'text-anchor="middle" fill="' + MUTED + '"'))
  }
  parts.push(`<line x1="${n(x0)}" y1="${n(top + height)}" x2="${n(x0 + plotWidth)}" y2="${n(top + height)}" stroke="${AXIS}"/>`)
  parts.push(label(x0 + plotWidth / 2, top + height + 32, title, 'text-anchor="middle" font-size="12" font-weight="500"'))
  return parts.join("")
}

export interface BarRow {
  readonly label: string
  /** One bar or several side by side (e.g. run A and run B); values from 0 to 1. */
  readonly bars: ReadonlyArray<{ readonly value: number; readonly color: string; readonly low?: number; readonly high?: number }>
}

/** Horizontal bars on a 0-100% axis, one row per label; an interval, where given, is a black rule. */
export const barChart = (options: {
  readonly rows: ReadonlyArray<BarRow>
  readonly axisTitle: string
  readonly width?: number
  readonly step?: number
  readonly legend?: ReadonlyArray<{ readonly name: string; readonly color: string }>
}) => {
  const width = options.width ?? 520
  const step = options.step ?? 26
  const labelWidth = Math.min(220, Math.max(40, ...options.rows.map((r) => textWidth(r.label)))) + 10
  const left = labelWidth
  const top = 8
  const plotHeight = Math.max(1, options.rows.length) * step
  const legendEntries = options.legend ?? []
  const height = top + plotHeight + 44 + (legendEntries.length > 0 ? rowsHeight(legendEntries, width) + 8 : 0)
  const parts = [percentAxis(left, width, top, plotHeight, options.axisTitle)]
  options.rows.forEach((row, i) => {
    const y = top + i * step
    parts.push(label(left - 8, y + step / 2 + 4, clip(row.label, labelWidth - 10), 'text-anchor="end"'))
    const band = step * 0.7
    const each = band / Math.max(1, row.bars.length)
    row.bars.forEach((bar, j) => {
      const by = y + (step - band) / 2 + j * each
      const w = Math.max(0, Math.min(1, bar.value)) * width
      parts.push(`<rect class="mark" x="${n(left)}" y="${n(by)}" width="${n(w)}" height="${n(each)}" rx="2" fill="${bar.color}"><title>${esc(`${row.label}: ${percentShort(bar.value)}`)}</title></rect>`)
      if (bar.low !== undefined && bar.high !== undefined) {
        const cy = by + each / 2
        parts.push(`<line class="mark" x1="${n(left + bar.low * width)}" y1="${n(cy)}" x2="${n(left + bar.high * width)}" y2="${n(cy)}" stroke="#222" stroke-width="1.5"/>`)
      }
    })
  })
  if (legendEntries.length > 0) parts.push(legend(legendEntries, left, top + plotHeight + 58, width).svg)
  return svg(left + width + 16, height, options.axisTitle, parts)
}

export interface LineSeries {
  readonly name: string
  readonly color: string
  readonly dashed?: boolean
  /** One value from 0 to 1 per x position. */
  readonly values: ReadonlyArray<number>
}

/** Lines with points over ordinal x positions 1..k, on a 0-100% y axis; the legend below. */
export const lineChart = (options: { readonly series: ReadonlyArray<LineSeries>; readonly xTitle: string; readonly yTitle: string; readonly width?: number; readonly height?: number }) => {
  const width = options.width ?? 520
  const plotHeight = options.height ?? 260
  const left = 56
  const top = 10
  const k = Math.max(1, ...options.series.map((s) => s.values.length))
  const xAt = (i: number) => left + ((i + 0.5) * width) / k
  const yAt = (v: number) => top + (1 - Math.max(0, Math.min(1, v))) * plotHeight
  const parts: Array<string> = []
  for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(`<line x1="${n(left)}" y1="${n(yAt(t))}" x2="${n(left + width)}" y2="${n(yAt(t))}" stroke="${GRID}"/>`)
    parts.push(label(left - 6, yAt(t) + 4, percent(t), `text-anchor="end" fill="${MUTED}"`))
  }
  parts.push(`<line x1="${n(left)}" y1="${n(top + plotHeight)}" x2="${n(left + width)}" y2="${n(top + plotHeight)}" stroke="${AXIS}"/>`)
  for (let i = 0; i < k; i++) parts.push(label(xAt(i), top + plotHeight + 14, String(i + 1), `text-anchor="middle" fill="${MUTED}"`))
  parts.push(label(left + width / 2, top + plotHeight + 32, options.xTitle, 'text-anchor="middle" font-size="12" font-weight="500"'))
  parts.push(label(14, top + plotHeight / 2, options.yTitle, `text-anchor="middle" font-size="12" font-weight="500" transform="rotate(-90 14 ${n(top + plotHeight / 2)})"`))
  for (const s of options.series) {
    const points = s.values.map((v, i) => `${n(xAt(i))},${n(yAt(v))}`).join(" ")
    parts.push(`<polyline class="mark" points="${points}" fill="none" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`)
    s.values.forEach((v, i) =>
      parts.push(`<circle class="mark" cx="${n(xAt(i))}" cy="${n(yAt(v))}" r="4.4" fill="${s.color}"><title>${esc(`${s.name}, attempt ${i + 1}: ${percentShort(v)}`)}</title></circle>`)
    )
  }
  const lg = legend(options.series, left, top + plotHeight + 56, width)
  parts.push(lg.svg)
  return svg(left + width + 16, lg.bottom + 4, options.yTitle, parts)
}

/** Columns per category (task), one per group (language) side by side; a missing value has no column. */
export const columnChart = (options: {
  readonly title: string
  readonly categories: ReadonlyArray<string>
  readonly groups: ReadonlyArray<{ readonly name: string; readonly color: string }>
  readonly value: (category: string, group: string) => number | undefined
  readonly yTitle: string
  readonly log: boolean
  readonly height?: number
}) => {
  const { categories, groups } = options
  const step = Math.max(24, 11 * groups.length)
  const plotHeight = options.height ?? 220
  const left = 60
  const top = 28
  const plotWidth = Math.max(1, categories.length) * step
  const values = categories.flatMap((c) => groups.flatMap((g) => {
    const v = options.value(c, g.name)
    return v !== undefined && v > 0 ? [v] : []
  }))
  const max = Math.max(1, ...values)
  // Bars on a log axis start at the power of ten below the smallest value, not at zero.
  const floor = options.log ? Math.pow(10, Math.floor(Math.log10(Math.min(...values, max)))) : 0
  const logTop = Math.pow(10, Math.ceil(Math.log10(max)))
  const ticks = options.log
    ? Array.from({ length: Math.round(Math.log10(logTop / floor)) + 1 }, (_, i) => floor * Math.pow(10, i))
    : niceTicks(max)
  const yMax = ticks[ticks.length - 1]!
  const yAt = (v: number) =>
    options.log
      ? top + plotHeight * (1 - Math.log10(v / floor) / Math.log10(yMax / floor || 10))
      : top + plotHeight * (1 - v / yMax)
  const parts: Array<string> = [label(0, 14, options.title, 'font-size="13" font-weight="600"')]
  for (const t of ticks) {
    parts.push(`<line x1="${n(left)}" y1="${n(yAt(t))}" x2="${n(left + plotWidth)}" y2="${n(yAt(t))}" stroke="${GRID}"/>`)
    parts.push(label(left - 6, yAt(t) + 4, siFormat(t), `text-anchor="end" fill="${MUTED}"`))
  }
  parts.push(label(14, top + plotHeight / 2, options.yTitle, `text-anchor="middle" font-size="12" font-weight="500" transform="rotate(-90 14 ${n(top + plotHeight / 2)})"`))
  const bar = (step * 0.8) / Math.max(1, groups.length)
  let longest = 0
  categories.forEach((c, i) => {
    const x0 = left + i * step + step * 0.1
    groups.forEach((g, j) => {
      const v = options.value(c, g.name)
      if (v === undefined || v <= 0) return
      const y = yAt(v)
      parts.push(`<rect class="mark" x="${n(x0 + j * bar)}" y="${n(y)}" width="${n(Math.max(1, bar - 1))}" height="${n(top + plotHeight - y)}" rx="1" fill="${g.color}"><title>${esc(`${c} · ${g.name}: ${groupDigits(Math.round(v))} tokens`)}</title></rect>`)
    })
    const text = clip(c, 140)
    longest = Math.max(longest, textWidth(text))
    const lx = left + i * step + step / 2
    const ly = top + plotHeight + 10
    parts.push(label(lx, ly, text, `text-anchor="end" fill="${MUTED}" transform="rotate(-40 ${n(lx)} ${n(ly)})"`))
  })
  parts.push(`<line x1="${n(left)}" y1="${n(top + plotHeight)}" x2="${n(left + plotWidth)}" y2="${n(top + plotHeight)}" stroke="${AXIS}"/>`)
  const labelsBottom = top + plotHeight + 14 + longest * Math.sin((40 * Math.PI) / 180)
  const lg = legend(groups, left, labelsBottom + 20, Math.max(plotWidth, 300))
  parts.push(lg.svg)
  return svg(Math.max(left + plotWidth + 16, 380), lg.bottom + 4, `${options.title}: ${options.yTitle}`, parts)
}
