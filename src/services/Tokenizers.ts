import { createRequire } from "node:module"

/**
 * Tokens of a text under real tokenizers, offline: gpt-tokenizer ships the vocabularies of OpenAI's
 * o200k_base and cl100k_base. Characters mislead across languages (fewer bytes can still be more
 * tokens); these count what a model of that family reads.
 *
 * The vocabularies are megabytes: they are loaded from the installed package the first time a text
 * is counted (about half a second each), not bundled into the CLI, so that commands that count
 * nothing start as fast as before.
 */

export const TOKENIZERS = ["o200k_base", "cl100k_base"] as const
export type Tokenizer = (typeof TOKENIZERS)[number]

/** { "<tokenizer>": tokens } */
export type TokenCounts = Readonly<Record<string, number>>

interface Encoding {
  readonly countTokens: (text: string, options?: { readonly disallowedSpecial?: ReadonlySet<string> }) => number
}

const load = createRequire(import.meta.url)
const loaded = new Map<Tokenizer, Encoding>()
const encoding = (name: Tokenizer): Encoding => {
  let e = loaded.get(name)
  if (e === undefined) {
    // A path the bundler leaves alone: the package is read where npm installed it.
    e = load(`gpt-tokenizer/encoding/${name}`) as Encoding
    loaded.set(name, e)
  }
  return e
}

/** No special tokens: "<|endoftext|>" in a program is text, counted as such (the library would refuse it). */
const AS_TEXT = { disallowedSpecial: new Set<string>() }

/** The text's tokens under every tokenizer. */
export const countTokens = (text: string): TokenCounts =>
  Object.fromEntries(TOKENIZERS.map((name) => [name, text === "" ? 0 : encoding(name).countTokens(text, AS_TEXT)]))
