import { Either } from "effect"
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base"
import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base"
import { describe, expect, it } from "vitest"
import { countTokens } from "../src/services/Tokenizers.js"
import { decodeResults, mergeSources } from "../src/report/Sweep.js"
import { renderSweepMarkdown, sweepCensus } from "../src/report/SweepMarkdown.js"
import { library, llama3 } from "./support/llama3.js"
import { attempt, iloBenchFile, iloBenchRow } from "./support/resultFixtures.js"

describe("the token census", () => {
  it("counts a text as the tokenizer library does, special-token look-alikes as text", () => {
    const program = 'def main():\n    print("naïve <|endoftext|> café")\n'
    expect(countTokens(program)).toEqual({
      o200k_base: o200k(program, { disallowedSpecial: new Set() }),
      cl100k_base: cl100k(program, { disallowedSpecial: new Set() }),
      llama3: llama3(program)
    })
    expect(countTokens("")).toEqual({ o200k_base: 0, cl100k_base: 0, llama3: 0 })
  })

  it("counts under Llama 3's tokenizer as llama3-tokenizer-js does, its special tokens as text", () => {
    const program = "main>n;+ 1 2\n-- <|eot_id|> naïve\n"
    expect(countTokens(program).llama3).toBe(llama3(program))
    // Known ids of Meta's tokenizer: "Hello world" is [9906, 1917].
    expect(library.encode("Hello world", { bos: false, eos: false })).toEqual([9906, 1917])
    expect(countTokens("Hello world").llama3).toBe(2)
    // "<|eot_id|>" is one special token to the library's default, ten tokens of text to the census.
    expect(library.encode("<|eot_id|>", { bos: false, eos: false })).toHaveLength(1)
    expect(countTokens("<|eot_id|>").llama3).toBeGreaterThan(1)
  })

  it("counts the programs of a file written before the census, when a report is made from it", () => {
    const file = iloBenchFile([
      iloBenchRow("sum", "python", "haiku", [attempt(1, "failed", "print(x)", "NameError"), attempt(2, "working", "print(sum([1, 2, 3]))", null)]),
      iloBenchRow("sum", "ilo", "haiku", [attempt(1, "working", "main>n;+ 1 2", null)])
    ])
    const source = decodeResults("old.json", JSON.stringify(file))
    if (Either.isLeft(source)) throw source.left
    const sweep = mergeSources([source.right])
    const python = sweepCensus(sweep).find((c) => c.language === "python")!
    expect(python.attempts).toBe(2)
    expect(python.program_tokens.o200k_base).toBe(o200k("print(x)") + o200k("print(sum([1, 2, 3]))"))
    expect(python.median_working_program_tokens).toEqual({
      o200k_base: o200k("print(sum([1, 2, 3]))"),
      cl100k_base: cl100k("print(sum([1, 2, 3]))"),
      llama3: llama3("print(sum([1, 2, 3]))")
    })
    // Its documentation was not recorded: no spec tax is made up.
    expect(python.doc_tokens).toBeNull()
    expect(python.spec_tax).toBeNull()
    expect(renderSweepMarkdown(sweep)).toContain("## Token census")
  })

  it("a file counted before llama3 gets it counted now; the counts it has (an endpoint's included) are kept", () => {
    const counted = (program: string, anthropic: number | null) => ({
      ...attempt(1, "working", program, null),
      program_tokens: { o200k_base: 99, cl100k_base: 98, anthropic }
    })
    const file = iloBenchFile([iloBenchRow("sum", "ilo", "haiku", [counted("main>n;+ 1 2", 7)]), iloBenchRow("fib", "ilo", "haiku", [counted("main>n;fib 10", null)])])
    const source = decodeResults("old.json", JSON.stringify(file))
    if (Either.isLeft(source)) throw source.left
    const [ilo] = sweepCensus(mergeSources([source.right]))
    expect(ilo!.program_tokens).toEqual({ o200k_base: 198, cl100k_base: 196, anthropic: null, llama3: llama3("main>n;+ 1 2") + llama3("main>n;fib 10") })
    expect(renderSweepMarkdown(mergeSources([source.right]))).toContain("| unknown |")
  })

  it("a sum over runs of which some were not counted by the endpoint is unknown, not a smaller number", () => {
    const withCount = (program: string, anthropic?: number) => ({
      ...attempt(1, "working", program, null),
      program_tokens: { ...countTokens(program), ...(anthropic !== undefined ? { anthropic } : {}) }
    })
    const file = iloBenchFile([iloBenchRow("sum", "ilo", "haiku", [withCount("main>n;+ 1 2", 7)]), iloBenchRow("fib", "ilo", "haiku", [withCount("main>n;fib 10")])])
    const source = decodeResults("mixed.json", JSON.stringify(file))
    if (Either.isLeft(source)) throw source.left
    const [ilo] = sweepCensus(mergeSources([source.right]))
    expect(ilo!.program_tokens.anthropic).toBeNull()
    expect(ilo!.program_tokens.o200k_base).toBe(countTokens("main>n;+ 1 2").o200k_base + countTokens("main>n;fib 10").o200k_base)
  })
})
