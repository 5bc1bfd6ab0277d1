import { describe, expect, it } from "vitest"
import { extractProgram, languageTags } from "../src/loop/Extract.js"

const py = languageTags("python", ".py")
const ilo = languageTags("ilo", ".ilo")

describe("one program out of a reply", () => {
  it("a reply without fences runs as it came", () => {
    expect(extractProgram("print(55)\n", py)).toEqual({ program: "print(55)\n", source: "whole", blocks: 0, dropped: "" })
  })

  it("a reply that is one fenced block gives the block's body, as the earlier unwrapping did, and drops nothing", () => {
    expect(extractProgram("```python\nx = 1\nprint(x)\n```", py)).toEqual({ program: "x = 1\nprint(x)", source: "tagged-block", blocks: 1, dropped: "" })
    expect(extractProgram("\n```\nprint(55)\n```\n", py)).toMatchObject({ program: "print(55)", source: "first-block", dropped: "" })
    expect(extractProgram("~~~\nprint(55)\n~~~", py)).toMatchObject({ program: "print(55)", dropped: "" })
  })

  it("two fenced blocks: the one tagged with the leg's language runs, the rest is recorded as dropped", () => {
    const reply = "Here is the output you should see:\n```text\n55\n```\nAnd the program:\n```py\nprint(55)\n```\nHope this helps!"
    const got = extractProgram(reply, py)
    expect(got).toMatchObject({ program: "print(55)", source: "tagged-block", blocks: 2 })
    expect(got.dropped).toContain("Here is the output you should see:")
    expect(got.dropped).toContain("```text\n55\n```")
    expect(got.dropped).toContain("Hope this helps!")
    expect(got.dropped).not.toContain("print(55)")
  })

  it("no block tagged with the language: the first complete block, prose dropped", () => {
    const got = extractProgram("Sure!\n```\n-- run: main\nmain>n;55\n```\n```bash\nilo program.ilo main\n```", ilo)
    expect(got).toMatchObject({ program: "-- run: main\nmain>n;55", source: "first-block", blocks: 2 })
    expect(got.dropped).toBe("Sure!\n```bash\nilo program.ilo main\n```")
  })

  it("a fence never closed (cut at max_tokens) is not a block: the whole text goes, as it came", () => {
    const reply = "```python\nfor i in range(10):\n    print("
    expect(extractProgram(reply, py)).toEqual({ program: reply, source: "whole", blocks: 0, dropped: "" })
    // A complete block before the cut one is taken.
    expect(extractProgram("```python\nprint(1)\n```\nBetter:\n```python\nprint(", py)).toMatchObject({ program: "print(1)", blocks: 1 })
  })

  it("a longer fence holds a shorter one inside it", () => {
    expect(extractProgram("````python\ns = '''\n```\n'''\nprint(s)\n````", py).program).toBe("s = '''\n```\n'''\nprint(s)")
  })

  it("tags a model may use for a language", () => {
    expect([...languageTags("javascript", ".js")]).toEqual(expect.arrayContaining(["javascript", "js", "node"]))
    expect(languageTags("python", ".py").has("python3")).toBe(true)
    expect(languageTags("zero", ".zero").has("zero")).toBe(true)
  })
})
