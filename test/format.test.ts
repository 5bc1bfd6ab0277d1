import { describe, expect, it } from "vitest"
import { groupDigits } from "../src/report/format.js"

describe("groupDigits", () => {
  it("writes every number as toLocaleString('en-US') does, whole or not", () => {
    const reference = new Intl.NumberFormat("en-US")
    const values = [0, -0, 7, 12, 123, 1234, 12345, 123456, 1234567, -1234567, 2 ** 53, 1e20, 1e21, 1.5, -0.25, 1234.5678, NaN, Infinity]
    // Whole numbers of every length, from a fixed seed.
    let seed = 42
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      values.push(Math.floor(((seed / 2 ** 31) - 0.3) * 10 ** (i % 17)))
    }
    for (const value of values) expect(groupDigits(value), String(value)).toBe(reference.format(value))
  })
})
