import { esc, percentShort } from "./format.js"
import type { Metric, SurvivalAnalysis } from "./Survival.js"
import { colorAt, FONT, niceTicks, siFormat } from "./Svg.js"

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

const r1 = (x: number) => String(Math.round(x * 10) / 10)

/** Step lines on a linear spend axis from 0, a 0-100% y axis, the legend below. Each line is a class="mark". */
export const survivalCurveSvg = (series: ReadonlyArray<SurvivalSeries>, xTitle = "tokens spent (input + output)") => {
  const width = 560
  const plotHeight = 260
  const left = 56
  const top = 10
  const maxT = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])))
  const ticks = niceTicks(maxT)
  const xMax = ticks[ticks.length - 1]!
  const xAt = (t: number) => left + (t / xMax) * width
  const yAt = (s: number) => top + (1 - Math.max(0, Math.min(1, s))) * plotHeight
  const parts: Array<string> = []
  for (const s of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${r1(left)}" y1="${r1(yAt(s))}" x2="${r1(left + width)}" y2="${r1(yAt(s))}" stroke="${s === 0.5 ? "#bbb" : "#e8e8ee"}"${s === 0.5 ? ' stroke-dasharray="3 3"' : ""}/>`)
    parts.push(`<text x="${r1(left - 6)}" y="${r1(yAt(s) + 4)}" text-anchor="end" fill="#667">${percentShort(s)}</text>`)
  }
  for (const t of ticks) parts.push(`<text x="${r1(xAt(t))}" y="${r1(top + plotHeight + 14)}" text-anchor="middle" fill="#667">${esc(siFormat(t))}</text>`)
  parts.push(`<line x1="${r1(left)}" y1="${r1(top + plotHeight)}" x2="${r1(left + width)}" y2="${r1(top + plotHeight)}" stroke="#999"/>`)
  parts.push(`<text x="${r1(left + width / 2)}" y="${r1(top + plotHeight + 32)}" text-anchor="middle" font-size="12" font-weight="500">${esc(xTitle)}</text>`)
  parts.push(
    `<text x="14" y="${r1(top + plotHeight / 2)}" text-anchor="middle" font-size="12" font-weight="500" transform="rotate(-90 14 ${r1(top + plotHeight / 2)})">share not yet working</text>`
  )
  for (const s of series) {
    let d = ""
    s.points.forEach(([t, v], i) => {
      d += i === 0 ? `M${r1(xAt(t))} ${r1(yAt(v))}` : `H${r1(xAt(t))}V${r1(yAt(v))}`
    })
    parts.push(
      `<path class="mark" d="${d}" fill="none" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ""}><title>${esc(s.name)}</title></path>`
    )
  }
  let y = top + plotHeight + 52
  let x = left
  for (const s of series) {
    const w = 34 + s.name.length * 6.4
    if (x + w > left + width && x > left) {
      x = left
      y += 18
    }
    parts.push(`<line x1="${r1(x)}" y1="${r1(y - 4)}" x2="${r1(x + 22)}" y2="${r1(y - 4)}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`)
    parts.push(`<text x="${r1(x + 28)}" y="${r1(y)}">${esc(s.name)}</text>`)
    x += w
  }
  const height = y + 12
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 16}" height="${r1(height)}" viewBox="0 0 ${left + width + 16} ${r1(height)}" role="img" aria-label="share of runs not yet working against tokens spent" font-family="${esc(FONT)}" font-size="11" fill="#333"><rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`
}
