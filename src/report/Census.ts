import { attemptFigures } from "../domain/WholeRun.js"
import { esc, groupDigits, mdTable } from "./format.js"

/**
 * The token census: what each language's programs and documentation weigh in real tokens. The
 * documentation goes with every attempt, so its cost to a language is its tokens times the attempts
 * made (the "spec tax"); the programs are what the model wrote.
 */

/** Tokens per tokenizer; null where a count is unknown (a token counting endpoint that failed). */
type Counts = Readonly<Record<string, number | null>>

/** The key of a language's documentation tokens for one model (a provider's counter counts per model). */
export const docKey = (language: string, model: string) => `${language}\n${model}`

export interface CensusRow {
  readonly task: string
  readonly language: string
  readonly model: string
  readonly final_outcome: string
  readonly final_program_tokens?: Counts | undefined
  readonly attempts?: ReadonlyArray<{ readonly program_tokens?: Counts | undefined }> | undefined
}

export interface CensusEntry {
  readonly language: string
  readonly model: string
  /** Attempts made (runs in "error" made none that count). */
  readonly attempts: number
  /** The documentation sent with each attempt, per tokenizer; null where not known (a file from before the census). */
  readonly doc_tokens: Counts | null
  /** doc_tokens x attempts. */
  readonly spec_tax: Counts | null
  /** Every attempt's program, summed per tokenizer (null if any of them is unknown). */
  readonly program_tokens: Counts
  /** Median tokens of the working programs (the last attempt of each run that worked); null with none. */
  readonly median_working_program_tokens: Counts | null
}

/**
 * The values, or null (unknown) if any is: a count that failed, or one never made (a run resumed
 * without --count-tokens among runs counted with it): a sum without it would look smaller.
 */
const known = (values: ReadonlyArray<number | null | undefined>): ReadonlyArray<number> | null =>
  values.some((v) => v === null || v === undefined) ? null : (values as ReadonlyArray<number>)

const median = (values: ReadonlyArray<number>) => {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const medianOf = (values: ReadonlyArray<number> | null) => (values === null ? null : median(values))

export const censusEntries = (
  rows: ReadonlyArray<CensusRow>,
  /** By docKey(language, model), else by language. */
  docTokens: ReadonlyMap<string, Counts>,
  order: { readonly languages: ReadonlyArray<string>; readonly models: ReadonlyArray<string> }
): ReadonlyArray<CensusEntry> =>
  order.languages.flatMap((language) =>
    order.models.flatMap((model) => {
      const runs = rows.filter((r) => r.language === language && r.model === model)
      if (runs.length === 0) return []
      // From each run's figures (a run held on disk counted its attempts once, as its line was
      // read): the attempts of every run are never held together. Per tokenizer, in the order first
      // met: the sum, and how many attempts had a count (the sum is unknown unless all of them had).
      let attempts = 0
      const programs = new Map<string, { sum: number; counted: number }>()
      for (const r of runs) {
        const f = attemptFigures(r)
        attempts += f.attempts
        for (const t of f.programTokens) {
          let p = programs.get(t.tokenizer)
          if (p === undefined) programs.set(t.tokenizer, (p = { sum: 0, counted: 0 }))
          p.sum += t.sum
          p.counted += t.counted
        }
      }
      const tokenizers = [...programs.keys()]
      const docs = docTokens.get(docKey(language, model)) ?? docTokens.get(language) ?? null
      const working = runs.flatMap((r) => (r.final_outcome === "working" && r.final_program_tokens !== undefined ? [r.final_program_tokens] : []))
      return [
        {
          language,
          model,
          attempts,
          doc_tokens: docs,
          spec_tax: docs === null ? null : Object.fromEntries(Object.entries(docs).map(([k, n]) => [k, n === null ? null : n * attempts])),
          program_tokens: Object.fromEntries(
            tokenizers.map((k) => {
              const p = programs.get(k)!
              return [k, p.counted === attempts ? p.sum : null]
            })
          ),
          median_working_program_tokens:
            working.length === 0 ? null : Object.fromEntries(tokenizers.map((k) => [k, medianOf(known(working.map((w) => w[k])))]))
        }
      ]
    })
  )

/** What each tokenizer is, for the table's note. */
const ABOUT: Readonly<Record<string, string>> = {
  o200k_base: "OpenAI's, offline",
  cl100k_base: "OpenAI's, offline",
  llama3: "Meta's Llama 3, offline",
  anthropic: "Anthropic's token counting endpoint for the row's model, its message framing taken away; unknown where it failed"
}

const counts = (c: Counts | null, tokenizer: string) => {
  const n = c?.[tokenizer]
  return n === undefined ? "–" : n === null ? "unknown" : groupDigits(Math.round(n))
}

/** The census as a table: one row per language x model, each tokenizer's counts side by side; undefined with nothing counted. */
/** The tokenizers counted, in the order first met. */
const censusTokenizers = (entries: ReadonlyArray<CensusEntry>) => [
  ...new Set(entries.flatMap((e) => [...Object.keys(e.program_tokens), ...Object.keys(e.doc_tokens ?? {})]))
]

export const censusTable = (entries: ReadonlyArray<CensusEntry>) => {
  const tokenizers = censusTokenizers(entries)
  if (entries.length === 0 || tokenizers.length === 0) return undefined
  return {
    note:
      `Tokens under ${tokenizers.map((k) => `${k} (${ABOUT[k] ?? "a tokenizer"})`).join(", ")}; a language's programs weigh differently from its characters. ` +
      "Documentation tokens go with every attempt: the spec tax is documentation tokens x attempts.",
    header: ["language", "model", "attempts", ...tokenizers.flatMap((k) => [`docs (${k})`, `spec tax (${k})`, `programs (${k})`, `median working program (${k})`])],
    rows: entries.map((e) => [
      e.language,
      e.model,
      String(e.attempts),
      ...tokenizers.flatMap((k) => [counts(e.doc_tokens, k), counts(e.spec_tax, k), counts(e.program_tokens, k), counts(e.median_working_program_tokens, k)])
    ])
  }
}

/** The Markdown section. */
export const censusMarkdown = (entries: ReadonlyArray<CensusEntry>): ReadonlyArray<string> => {
  const t = censusTable(entries)
  return t === undefined ? [] : ["## Token census", "", t.note, "", ...mdTable(t.header, t.rows), ""]
}

/**
 * The HTML section: a row per tokenizer under each language x model, so that the table has eight
 * columns whatever the number of tokenizers and fits its card in a 1280px window (side by side, three
 * tokenizers made fifteen columns and pushed the last two tokenizers out of sight).
 */
export const censusHtml = (entries: ReadonlyArray<CensusEntry>): string => {
  const t = censusTable(entries)
  if (t === undefined) return ""
  const tokenizers = censusTokenizers(entries)
  const header = ["language", "model", "attempts", "tokenizer", "docs", "spec tax", "programs", "median working program"]
  const rows = entries.flatMap((e) =>
    tokenizers.map((k, i) => {
      const shared = i === 0 ? [e.language, e.model, String(e.attempts)].map((v, j) => `<td rowspan="${tokenizers.length}"${j < 2 ? ' class="l"' : ""}>${esc(v)}</td>`).join("") : ""
      const cells = [counts(e.doc_tokens, k), counts(e.spec_tax, k), counts(e.program_tokens, k), counts(e.median_working_program_tokens, k)]
      return `<tr>${shared}<td class="l">${esc(k)}</td>${cells.map((v) => `<td>${esc(v)}</td>`).join("")}</tr>`
    })
  )
  return `<h2>Token census</h2><div class="card" id="census"><table class="census"><thead><tr>${header
    .map((h, i) => `<th${i < 2 || i === 3 ? ' class="l"' : ""}>${esc(h)}</th>`)
    .join("")}</tr></thead><tbody>${rows.join("")}</tbody></table><figcaption>${esc(t.note)}</figcaption></div>`
}
