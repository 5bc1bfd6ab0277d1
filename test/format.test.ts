import { mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeDirectories } from "../src/platform/directories.js"
import { describe, expect, it } from "vitest"
import { dollars, fixedShort, groupDigits, mdText, pyFixed, pyPrefix, pyRepr } from "../src/report/format.js"

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

describe("money", () => {
  it("puts a negative's sign before the dollar sign, and shows a tiny negative as zero", () => {
    expect([0.0002, -0.0002, -0.00001, 0, 1.5].map((x) => dollars(x, 4))).toEqual(["$0.0002", "-$0.0002", "$0.0000", "$0.0000", "$1.5000"])
  })
})

describe("numbers as the seed's Python printed them", () => {
  it("rounds an exact tie to the even digit, as format(x, '.1f') does", () => {
    // Python 3: [format(x, ".1f") for x in ...]; format(2.5, ".0f"), format(3.5, ".0f")
    const xs = [0.25, 0.75, 1.25, 2.25, 0.35, 0.15, 1.05, 2.5, 0.05, -0.25, 12.345]
    expect(xs.map((x) => pyFixed(x, 1))).toEqual(["0.2", "0.8", "1.2", "2.2", "0.3", "0.1", "1.1", "2.5", "0.1", "-0.2", "12.3"])
    expect([pyFixed(2.5, 0), pyFixed(3.5, 0)]).toEqual(["2", "4"])
  })
})

describe("Python's repr of a string", () => {
  it("quotes and escapes as repr() does (python3 -c 'print(repr(...))')", () => {
    expect(pyRepr("55")).toBe("'55'")
    expect(pyRepr("it's")).toBe(`"it's"`)
    expect(pyRepr(`say "hi" it's`)).toBe(`'say "hi" it\\'s'`)
    expect(pyRepr("a\\b\tc\n\r\u0001\u007f é 😀 \u00a0\u2028")).toBe("'a\\\\b\\tc\\n\\r\\x01\\x7f é 😀 \\xa0\\u2028'")
    expect(pyPrefix("😀".repeat(3) + "abc", 4)).toBe("😀😀😀a")
  })
})

describe("fixedShort and mdText", () => {
  it("never round a value short of the top up to it, or a positive one down to 0", () => {
    expect([0.9996, 0.9994, 0.0004, 0, 1, 0.5].map((x) => fixedShort(x, 3))).toEqual([">0.999", "0.999", "<0.001", "0.000", "1.000", "0.500"])
  })
  it("keep a Markdown line one line, whatever ends a line in the text", () => {
    expect(mdText("a\rb\r\nc\nd | <e>")).toBe("a b c d \\| &lt;e>")
  })
})

describe("makeDirectories", () => {
  it("fails on a symbolic link to nowhere rather than reporting a directory it did not make", () => {
    const dir = mkdtempSync(join(tmpdir(), "ilo-bench-dirs-"))
    const dangling = join(dir, "dangling")
    symlinkSync(join(dir, "nowhere"), dangling)
    expect(makeDirectories(dangling)).toEqual({ ok: false, reason: `${dangling} is not a directory` })
    expect(makeDirectories(join(dir, "a", "b"))).toEqual({ ok: true })
    rmSync(dir, { recursive: true, force: true })
  })
})

describe("text from outside, on its way to a terminal or a Markdown cell", () => {
  const hostile = "a\x1b]52;c;ZXZpbA==\x07b\x1b[2J\x1b[Hc\rd\x07e\x9b31mf\u202eg\x1bPh"
  it("loses every escape sequence and control character but tab and newline", async () => {
    const { withoutControls, mdText, oneLine } = await import("../src/report/format.js")
    expect(withoutControls(hostile)).toBe("abcdef" + "g" + "h")
    expect(withoutControls("tab\there\nnext")).toBe("tab\there\nnext")
    // A lone carriage return ends a line, as in a text file read in text mode.
    expect(mdText(hostile)).toBe("abc defgh")
    expect(oneLine(`x\r\n${hostile}`)).toBe("x abc defgh")
  })
  it("a guarded stream keeps ilo-bench's own clear-line sequence and nothing else", async () => {
    const { CLEAR_LINE, guardStream } = await import("../src/platform/terminal.js")
    const written: Array<unknown> = []
    const stream = { write: (chunk: unknown) => written.push(chunk) > 0 } as unknown as NodeJS.WriteStream
    guardStream(stream)
    stream.write(`${CLEAR_LINE}[1/2] ${hostile}\n`)
    stream.write(Buffer.from("\x1b[2Jplain\n"))
    expect(written).toEqual([`${CLEAR_LINE}[1/2] abcdefgh\n`, "plain\n"])
  })
})
