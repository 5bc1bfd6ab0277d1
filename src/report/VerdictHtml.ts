import { esc } from "./format.js"
import type { Ratio, SurvivalAnalysis } from "./Survival.js"
import { survivalCurveSvg, survivalSeries } from "./SurvivalChart.js"
import { aloneSentence, ciText, METHOD, ratioFigure, ratioText, tokensText, verdictSentence } from "./Verdict.js"

/** The top of the HTML report: the verdict tiles, then the survival curves. Apart from the page's other charts. */

const TILE_STYLE = `<style>
.verdict { display:grid; grid-template-columns:repeat(auto-fill,minmax(260px,1fr)); gap:12px; margin:16px 0; }
.verdict .tile { background:var(--card,#fff); border:1px solid var(--line,#e3e4ea); border-radius:10px; padding:12px 14px; }
.verdict .tile .who { color:var(--muted,#667); font-size:12px; }
.verdict .tile .ratio { font-size:28px; font-weight:600; line-height:1.2; }
.verdict .tile .better { color:#1b5e20; } .verdict .tile .worse { color:#8a1c1c; }
.verdict .tile p { margin:6px 0 0; font-size:13px; }
</style>`

/** Whether the ratio says the language is cheaper (below 1, the interval too) or dearer than the baseline. */
const tone = (r: Ratio) =>
  r.ratio === null || r.ci95 === null ? "" : r.ci95[1] < 1 ? "better" : r.ci95[0] > 1 ? "worse" : ""

/**
 * How often each side got a working program: a ratio of medians says nothing of the runs that never
 * got there, and a cheaper language that works less often should not look like a plain win.
 */
const workingLine = (a: SurvivalAnalysis, model: string, language: string, baseline: string) => {
  const of = (l: string) => a.survival.find((s) => s.model === model && s.language === l)
  const part = (l: string) => {
    const s = of(l)
    return s === undefined ? undefined : `${l} ${s.working}/${s.runs}`
  }
  const parts = [part(language), part(baseline)].filter((p) => p !== undefined)
  return parts.length === 0 ? "" : `<div class="who">runs working: ${esc(parts.join(" · "))}</div>`
}

/** The HTML verdict: a tile per model and compared language (ratio, interval, how often each worked, the plain sentence). */
export const verdictTilesHtml = (a: SurvivalAnalysis): string => {
  if (a.versus.length === 0 && a.survival.length === 0) return ""
  const tiles =
    a.versus.length > 0
      ? a.versus.map(
          (v) => `<div class="tile" data-language="${esc(v.language)}" data-model="${esc(v.model)}"><div class="who">${esc(v.model)} · ${esc(v.language)} vs ${esc(v.baseline)} · ${v.tasks} task(s)</div>
<div class="ratio ${tone(v.total_tokens)}">${v.total_tokens.ratio === null ? "no ratio" : esc(ratioText(v.total_tokens.ratio).replace("x", "×"))}</div>
<div class="who">tokens to a working program${v.total_tokens.ratio === null ? "" : ` · ${esc(ciText(v.total_tokens.ci95, ratioFigure))}`}${
            v.cost_usd.ratio === null ? "" : ` · cost ${esc(ratioText(v.cost_usd.ratio).replace("x", "×"))}`
          }</div>
${workingLine(a, v.model, v.language, v.baseline)}
<p>${esc(verdictSentence(a, v))}.</p></div>`
        )
      : a.survival.map(
          (s) => `<div class="tile" data-language="${esc(s.language)}" data-model="${esc(s.model)}"><div class="who">${esc(s.model)} · ${esc(s.language)}</div>
<div class="ratio">${s.total_tokens.median === null ? "not reached" : esc(tokensText(s.total_tokens.median))}</div>
<div class="who">median tokens to a working program</div><p>${esc(aloneSentence(s))}.</p></div>`
        )
  return `${TILE_STYLE}<h2>Verdict</h2><section class="verdict" id="verdict">${tiles.join("\n")}</section><p class="ci">${esc(METHOD)}</p>`
}

/** The verdict tiles, then the survival curves (share of runs not yet working against tokens spent). */
export const survivalSection = (a: SurvivalAnalysis): string => {
  const series = survivalSeries(a, "total_tokens")
  if (series.length === 0) return verdictTilesHtml(a)
  return `${verdictTilesHtml(a)}
<h2>Spend to a working program</h2>
<div class="card"><figure class="chart" id="chart-survival">${survivalCurveSvg(series)}<figcaption>Share of runs not yet working after spending so many tokens (Kaplan-Meier; runs that never worked are censored at what they spent, runs in "error" left out). Where a line crosses 50% is its median; a line that stays above 50% never reached one.</figcaption></figure></div>`
}
