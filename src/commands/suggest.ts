import { closest, distance } from "fastest-levenshtein"

/**
 * The candidate a mistyped name most likely meant, or undefined when none is close: at most a
 * third of the name's letters off (two for short names), as `git` and `npm` suggest.
 */
export const nearest = (value: string, candidates: ReadonlyArray<string>): string | undefined => {
  if (candidates.length === 0) return undefined
  const best = closest(value, [...candidates])
  return distance(value.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(value.length / 3)) ? best : undefined
}

/** "; did you mean 'haiku'?" or "". */
export const didYouMean = (value: string, candidates: ReadonlyArray<string>) => {
  const best = nearest(value, candidates)
  return best === undefined ? "" : `; did you mean '${best}'?`
}

/**
 * A model id as providers spell them: a `claude-` id, or a name with a version in it (a digit)
 * and a dash, dot or colon (gpt-4o, llama3.2, qwen2.5-coder:7b). "haikuu" is none of these.
 */
export const looksLikeModelId = (name: string) => /^claude-/.test(name) || (/\d/.test(name) && /[-.:/]/.test(name))
