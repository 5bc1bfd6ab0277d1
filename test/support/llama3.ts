import { createRequire } from "node:module"

/** llama3-tokenizer-js itself, from its CommonJS bundle (the one the census loads). */
export const library = (createRequire(import.meta.url)("llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs") as {
  llama3Tokenizer: { encode: (text: string, options?: { bos?: boolean; eos?: boolean; specialTokenRegex?: RegExp }) => Array<number> }
}).llama3Tokenizer

/** The library's own count of a text: no beginning or end token, no text read as a special token. */
export const llama3 = (text: string) => library.encode(text, { bos: false, eos: false, specialTokenRegex: /(?!)/g }).length
