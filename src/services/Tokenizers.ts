import { createRequire } from "node:module"

/**
 * Tokens of a text under real tokenizers, offline: gpt-tokenizer ships the vocabularies of OpenAI's
 * o200k_base and cl100k_base, and llama3-tokenizer-js that of Meta's Llama 3 (an open-weights
 * family: the one such tokenizer found in a package of reasonable size, see the README's census).
 * Characters mislead across languages (fewer bytes can still be more tokens); these count what a
 * model of that family reads.
 *
 * The vocabularies are megabytes: they are loaded from the installed package the first time a text
 * is counted (about half a second each), not bundled into the CLI, so that commands that count
 * nothing start as fast as before.
 */

export const TOKENIZERS = ["o200k_base", "cl100k_base", "llama3"] as const
export type Tokenizer = (typeof TOKENIZERS)[number]

/** { "<tokenizer>": tokens }; null where a count is unknown (a counting endpoint that failed). */
export type TokenCounts = Readonly<Record<string, number | null>>

/** A require of its own for each load: no module loaded by an earlier one holds on to what it loaded. */
const load = (module: string): unknown => createRequire(import.meta.url)(module)

interface GptEncoding {
  readonly countTokens: (text: string, options?: { readonly disallowedSpecial?: ReadonlySet<string> }) => number
}
interface Llama3 {
  readonly encode: (text: string, options?: { readonly bos?: boolean; readonly eos?: boolean; readonly specialTokenRegex?: RegExp }) => ReadonlyArray<number>
}

/** A regular expression that matches nothing: no text is read as one of Llama 3's special tokens. */
const NO_SPECIAL = /(?!)/g
/** No special tokens: "<|endoftext|>" in a program is text, counted as such (the library would refuse it). */
const AS_TEXT = { disallowedSpecial: new Set<string>() }

// Paths the bundler leaves alone: each package is read where npm installed it.
const loaders: Record<Tokenizer, () => (text: string) => number> = {
  o200k_base: () => {
    const e = load("gpt-tokenizer/encoding/o200k_base") as GptEncoding
    return (text) => e.countTokens(text, AS_TEXT)
  },
  cl100k_base: () => {
    const e = load("gpt-tokenizer/encoding/cl100k_base") as GptEncoding
    return (text) => e.countTokens(text, AS_TEXT)
  },
  llama3: () => {
    // The package's CommonJS bundle, its vocabulary inside; no beginning- or end-of-text token added.
    const t = (load("llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs") as { llama3Tokenizer: Llama3 }).llama3Tokenizer
    return (text) => t.encode(text, { bos: false, eos: false, specialTokenRegex: NO_SPECIAL }).length
  }
}

const loaded = new Map<Tokenizer, (text: string) => number>()
const counter = (name: Tokenizer) => {
  let count = loaded.get(name)
  if (count === undefined) {
    count = loaders[name]()
    loaded.set(name, count)
  }
  return count
}

/**
 * Lets the vocabularies go (about 65 MB of heap once loaded, the most of a benchmark's live heap):
 * once every run is counted, the reports need none of them. A later count loads them again.
 */
export const releaseVocabularies = () => {
  loaded.clear()
  const cache = createRequire(import.meta.url).cache
  for (const file of Object.keys(cache)) if (/[\\/]node_modules[\\/](gpt-tokenizer|llama3-tokenizer-js)[\\/]/.test(file)) delete cache[file]
}

/** The text's tokens under every offline tokenizer. */
export const countTokens = (text: string): Readonly<Record<Tokenizer, number>> =>
  Object.fromEntries(TOKENIZERS.map((name) => [name, text === "" ? 0 : counter(name)(text)])) as Record<Tokenizer, number>
