import { describe, expect, it } from "@effect/vitest"
import { passAtK, wilsonInterval } from "../src/report/Stats.js"

describe("Wilson interval", () => {
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
