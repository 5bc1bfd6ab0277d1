import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ILO_DEFAULT_MODULES } from "../src/domain/Language.js"
import { root } from "./support/cli.js"

// What ilo 0.11.6 actually does, where the skill modules once said otherwise. Each case names the
// module, the wrong advice that must be gone and the example that shows the truth.
const dir = join(root, "skills", "ilo")
const read = (module: string) => readFileSync(join(dir, `${module}.md`), "utf8")

describe("the ilo skill modules describe ilo 0.11.6", () => {
  it("say which ilo they describe", () => {
    const contexts = JSON.parse(readFileSync(join(dir, "contexts.json"), "utf8"))
    expect(contexts.ilo_version).toBe("0.11.6")
    expect(read("ilo-language").split("\n")[0]).toContain("ilo 0.11.6")
  })

  it("pass only the builtins 0.11.6 accepts by name, and wrap the rest in a lambda", () => {
    const text = read("ilo-builtins-text")
    expect(text).not.toContain("map hd ws")
    expect(text).toContain("fs=map (w:t>t;hd w) ws")
    const core = read("ilo-builtins-core")
    expect(core).not.toContain("Builtins can be passed directly")
    const passable = "abs flr cel rou min max mod sum avg median stdev variance trm upr lwr cap padl padr ord chr chars str num jdmp len"
    expect(core).toContain(`\`${passable}\``)
    expect(core).toContain("`map hd ws`: ILO-T004")
    // No example passes by name a builtin outside the 27, except to show that it fails.
    const notPassable = ["hd", "tl", "sqrt", "rev", "srt", "unq", "spl", "cat", "fmt", "at", "has", "exp", "log", "pow"]
    for (const m of ILO_DEFAULT_MODULES) {
      const uses = [...read(m).matchAll(/\b(?:map|flt|fld|ct|grp) ([a-z][a-z0-9]*) [a-z[]/g)].map((hit) => hit[0])
      const shown = uses.filter((u) => notPassable.includes(u.split(" ")[1]!))
      // The core module names two of them, in the sentence that says they fail.
      expect(shown, m).toEqual(m === "ilo-builtins-core" ? ["map hd w", "map sqrt x"] : [])
    }
  })

  it("match on a parenthesised or bound call, not `?num s{...}`", () => {
    const core = read("ilo-builtins-core")
    expect(core).not.toMatch(/: `\?num s\{~v:v;\^e:0\}`/)
    expect(core).toContain("`r=num s;?r{~v:v;^e:0}`")
    expect(core).toContain("`?(num s){~v:v;^e:0}`")
  })

  it("say what division by zero does on each engine", () => {
    const language = read("ilo-language")
    const math = read("ilo-builtins-math")
    expect(language).not.toContain("divide by 0 is a runtime error")
    expect(math).not.toContain("Division or `mod` by 0 is a runtime error")
    for (const doc of [language, math]) {
      expect(doc).toContain("`inf`")
      expect(doc).toContain("ILO-R003")
      expect(doc).toMatch(/`mod a 0` (always errors|errors on every engine)/)
    }
  })

  it("say every error exits 1", () => {
    const io = read("ilo-builtins-io")
    expect(io).not.toMatch(/exit 2/)
    expect(io).toMatch(/parse \(`ILO-P009`\), type \(`ILO-T004`\) and runtime \(`ILO-R003`\) errors all exit 1/)
  })

  it("default an optional map value before arithmetic", () => {
    const core = read("ilo-builtins-core")
    expect(core).not.toContain("v=mget m k;")
    expect(core).toContain("v=mget m k ?? 0;s=+s v")
  })

  it("advise binding a call's value before putting it in a list", () => {
    const language = read("ilo-language")
    expect(language).not.toContain("a known function inside a list is called")
    expect(language).toContain('`[padl "a" 3]` gives `[<fn:padl>, a, 3]`')
    expect(language).toContain('`[fmt "{}" 1]` fails (ILO-T004)')
  })

  it("list every reserved word", () => {
    const line = read("ilo-language").split("\n").find((l) => l.includes("Reserved"))!
    for (const word of ["if", "return", "let", "fn", "def", "var", "const", "cnt", "brk", "ret", "wh", "type", "tool", "use", "with"])
      expect(line, word).toMatch(new RegExp(`[\` ]${word}[\` ]`))
  })

  it("stay within the size budget the README states, module by module", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    let total = 0
    for (const m of ILO_DEFAULT_MODULES) {
      const bytes = statSync(join(dir, `${m}.md`)).size
      total += bytes
      expect(readme, m).toContain(`| \`${m}\` | ${bytes.toLocaleString("en-US")} |`)
    }
    expect(readme).toContain(`| **all five** | **${total.toLocaleString("en-US")}** |`)
    // The budget before the 0.11.6 corrections was 20,664 bytes: about the same means within 5%.
    expect(total).toBeLessThan(20_664 * 1.05)
  })
})
