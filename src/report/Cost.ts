import type { RunResult } from "../domain/Result.js"
import { distinct, dollars, mdText, padLeft, padRight } from "./format.js"

/** Token and money totals of a group of runs. `cost_usd` is null when some run had no price. */
export interface CostLine {
  readonly language: string
  readonly model: string
  readonly runs: number
  readonly input_tokens: number
  readonly input_cache_miss_tokens: number
  readonly input_cache_write_tokens: number
  readonly input_cache_hit_tokens: number
  readonly output_tokens: number
  readonly cost_usd: number | null
  readonly cache_savings_usd: number | null
}

const total = (language: string, model: string, runs: ReadonlyArray<RunResult>): CostLine => {
  const sum = (f: (r: RunResult) => number) => runs.reduce((n, r) => n + f(r), 0)
  const priced = runs.every((r) => r.cost_usd !== null)
  return {
    language,
    model,
    runs: runs.length,
    input_tokens: sum((r) => r.input_tokens),
    input_cache_miss_tokens: sum((r) => r.input_cache_miss_tokens),
    input_cache_write_tokens: sum((r) => r.input_cache_write_tokens),
    input_cache_hit_tokens: sum((r) => r.input_cache_hit_tokens),
    output_tokens: sum((r) => r.generation_tokens),
    cost_usd: priced ? sum((r) => r.cost_usd ?? 0) : null,
    cache_savings_usd: priced ? sum((r) => r.cache_savings_usd ?? 0) : null
  }
}

/** One line per language x model (in first-seen order), then the total. */
export const costLines = (results: ReadonlyArray<RunResult>): { lines: ReadonlyArray<CostLine>; total: CostLine } => {
  const languages = distinct(results.map((r) => r.language))
  const models = distinct(results.map((r) => r.model))
  const lines = languages.flatMap((language) =>
    models.flatMap((model) => {
      const runs = results.filter((r) => r.language === language && r.model === model)
      return runs.length > 0 ? [total(language, model, runs)] : []
    })
  )
  return { lines, total: total("all", "all", results) }
}

export const usd = (value: number | null) => (value === null ? "n/a" : dollars(value, 4))

/** Which prices the costs are at: list prices, or the batch prices of runs sent with --batch. */
const pricesOf = (results: ReadonlyArray<RunResult>) => {
  const batched = results.filter((r) => r.batch === true).length
  return batched === 0 ? "list prices" : batched === results.length ? "batch prices" : "list prices, batch prices for the batched runs"
}

/** The stdout block after the seed's summary: cost per language and model, and in total. */
export const costSummary = (results: ReadonlyArray<RunResult>) => {
  const { lines, total: all } = costLines(results)
  // As wide as the longest name: a model id is often longer than the alias the column was made for.
  const langWidth = Math.max(10, ...lines.map((l) => l.language.length))
  const modelWidth = Math.max(12, ...lines.map((l) => l.model.length))
  const row = (l: CostLine) =>
    `${padRight(l.language, langWidth)} ${padRight(l.model, modelWidth)} ${padLeft(String(l.runs), 5)} ${padLeft(String(l.input_cache_miss_tokens), 10)} ` +
    `${padLeft(String(l.input_cache_write_tokens), 10)} ${padLeft(String(l.input_cache_hit_tokens), 10)} ${padLeft(String(l.output_tokens), 9)} ${padLeft(usd(l.cost_usd), 11)}`
  return [
    `\nCost (${pricesOf(results)}):`,
    `${padRight("lang", langWidth)} ${padRight("model", modelWidth)} ${padLeft("runs", 5)} ${padLeft("in_miss", 10)} ${padLeft("cache_wr", 10)} ${padLeft("cache_rd", 10)} ${padLeft("out", 9)} ${padLeft("cost", 11)}`,
    "-".repeat(84 + langWidth - 10 + modelWidth - 12),
    ...lines.map(row),
    row(all)
  ].join("\n")
}

/** The Markdown report's cost section. */
export const costMarkdown = (results: ReadonlyArray<RunResult>): ReadonlyArray<string> => {
  const { lines, total: all } = costLines(results)
  const row = (l: CostLine) =>
    `| ${mdText(l.language)} | ${mdText(l.model)} | ${l.runs} | ${l.input_cache_miss_tokens} | ${l.input_cache_write_tokens} | ${l.input_cache_hit_tokens} | ${l.output_tokens} | ${usd(l.cost_usd)} | ${usd(l.cache_savings_usd)} |`
  return [
    "## Cost",
    "",
    `At the model catalog's ${pricesOf(results)}. Input is split into uncached (miss), cache write and cache read (hit) tokens.`,
    "",
    "| language | model | runs | input miss | cache write | cache read | output | cost | cache savings |",
    "|---|---|---|---|---|---|---|---|---|",
    ...lines.map(row),
    row({ ...all, language: "**total**", model: "" }),
    ""
  ]
}
