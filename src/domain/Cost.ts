/** List prices of one model, in USD per million tokens. */
export interface Price {
  readonly input: number
  readonly output: number
  readonly cacheWrite: number
  readonly cacheRead: number
}

/** Token counts of one or more calls, as the provider layer normalised them: `input` excludes cached tokens. */
export interface Tokens {
  readonly input: number
  readonly cacheWrite: number
  readonly cacheRead: number
  readonly output: number
  /** Some call's reply carried no usage: the counts are lower bounds and the cost is unknown. */
  readonly unreported?: boolean | undefined
}

const PER_TOKEN = 1 / 1_000_000

/** Everything the model read: uncached input, cache writes and cache reads. */
export const totalInput = (t: Tokens) => t.input + t.cacheWrite + t.cacheRead

/** What the input side was billed. */
export const inputCost = (t: Tokens, p: Price) =>
  (t.input * p.input + t.cacheWrite * p.cacheWrite + t.cacheRead * p.cacheRead) * PER_TOKEN

/** What the call (or calls) cost at list prices. */
export const costUsd = (t: Tokens, p: Price) => inputCost(t, p) + t.output * p.output * PER_TOKEN

/**
 * Input tokens weighted by what they were billed, in units of one uncached input token:
 * input + cacheWrite x (write price / input price) + cacheRead x (read price / input price).
 * With no caching it equals the total input.
 */
export const effectiveInputTokens = (t: Tokens, p: Price) =>
  p.input === 0 ? totalInput(t) : Math.round((inputCost(t, p) / PER_TOKEN) / p.input)

/**
 * What caching saved against sending every input token uncached: total input x input price minus
 * what the input was billed. Negative when cache writes were not read back enough to pay for themselves.
 */
export const cacheSavingsUsd = (t: Tokens, p: Price) => totalInput(t) * p.input * PER_TOKEN - inputCost(t, p)

export const addTokens = (a: Tokens, b: Tokens): Tokens => ({
  input: a.input + b.input,
  cacheWrite: a.cacheWrite + b.cacheWrite,
  cacheRead: a.cacheRead + b.cacheRead,
  output: a.output + b.output,
  ...(a.unreported === true || b.unreported === true ? { unreported: true } : {})
})

export const noTokens: Tokens = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 }

/** Dollars kept to a tenth of a micro-dollar, so sums of many attempts do not drift in the reports. */
export const roundUsd = (usd: number) => Math.round(usd * 1e7) / 1e7
