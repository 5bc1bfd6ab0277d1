import { describe, expect, it } from "vitest"
import { bootstrapPairedMeanDifference, mcnemarExact, mean, median, passAtK, wilsonInterval } from "../src/report/Stats.js"

describe("stats", () => {
  it("Wilson interval matches published values", () => {
    // 8/10: 0.4902 to 0.9433; 0/10: 0 to 0.2775; 10/10: 0.7225 to 1 (Newcombe 1998, table I style values).
    const a = wilsonInterval(8, 10)
    expect(a.low).toBeCloseTo(0.4902, 4)
    expect(a.high).toBeCloseTo(0.9433, 4)
    const zero = wilsonInterval(0, 10)
    expect(zero.low).toBe(0)
    expect(zero.high).toBeCloseTo(0.2775, 4)
    expect(wilsonInterval(10, 10).low).toBeCloseTo(0.7225, 4)
    // Exactly 1, not a hair short of it (which would print as ">99.9%").
    expect(wilsonInterval(10, 10).high).toBe(1)
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 })
  })

  it("McNemar exact p-value is the two-sided binomial tail of the discordant pairs", () => {
    const pairs = (onlyA: number, onlyB: number, both: number): Array<readonly [boolean, boolean]> => [
      ...Array.from({ length: onlyA }, () => [true, false] as const),
      ...Array.from({ length: onlyB }, () => [false, true] as const),
      ...Array.from({ length: both }, () => [true, true] as const)
    ]
    expect(mcnemarExact(pairs(0, 6, 3))).toMatchObject({ onlyA: 0, onlyB: 6 })
    expect(mcnemarExact(pairs(0, 6, 3)).p).toBeCloseTo(2 / 64, 12)
    expect(mcnemarExact(pairs(1, 5, 0)).p).toBeCloseTo((2 * 7) / 64, 12)
    expect(mcnemarExact(pairs(3, 3, 0)).p).toBe(1)
    expect(mcnemarExact(pairs(0, 0, 5)).p).toBe(1)
  })

  it("the bootstrap is seeded: same inputs, same interval; it brackets the estimate", () => {
    const a = [100, 120, 90, 110, 130]
    const b = [60, 70, 65, 80, 75]
    const pairs = a.map((x, i) => [x, b[i]] as const)
    const one = bootstrapPairedMeanDifference(pairs, { seed: 1 })!
    expect(bootstrapPairedMeanDifference(pairs, { seed: 1 })).toEqual(one)
    expect(one.estimate).toBeCloseTo(-40, 10)
    expect(one.low).toBeLessThan(one.estimate)
    expect(one.high).toBeGreaterThan(one.estimate)
    expect(one.high).toBeLessThan(0)
    expect(bootstrapPairedMeanDifference(b.map((y) => [undefined, y] as const))).toBeUndefined()
  })

  it("mean and median", () => {
    expect(mean([1, 2, 6])).toBe(3)
    expect(median([5, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeUndefined()
  })
})


describe("Wilson interval (trials)", () => {
  it("matches the textbook values", () => {
    const { low, high } = wilsonInterval(8, 10)
    expect(low).toBeCloseTo(0.4902, 4)
    expect(high).toBeCloseTo(0.9433, 4)
  })
  it("never leaves [0, 1], and is not degenerate at 0 or n successes", () => {
    const none = wilsonInterval(0, 5)
    expect(none.low).toBe(0)
    expect(none.high).toBeCloseTo(0.4345, 4)
    const all = wilsonInterval(5, 5)
    expect(all.high).toBe(1)
    expect(all.low).toBeCloseTo(0.5655, 4)
  })
  it("knows nothing with no trials", () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 })
  })
})

describe("pass@k", () => {
  it("is the unbiased estimator 1 - C(n-c,k)/C(n,k)", () => {
    expect(passAtK(5, 1, 1)).toBeCloseTo(0.2, 12)
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7, 12) // 1 - C(3,2)/C(5,2) = 1 - 3/10
    expect(passAtK(10, 3, 4)).toBeCloseTo(1 - 35 / 210, 12)
  })
  it("is 0 with no passes and 1 once a failure-only draw is impossible", () => {
    expect(passAtK(5, 0, 5)).toBe(0)
    expect(passAtK(5, 3, 3)).toBe(1)
    expect(passAtK(200, 200, 1)).toBe(1)
  })
  it("refuses k outside 1..n", () => {
    expect(() => passAtK(3, 1, 4)).toThrow(RangeError)
    expect(() => passAtK(3, 1, 0)).toThrow(RangeError)
  })
})
