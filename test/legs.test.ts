import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { LanguageCatalog, parseInlineLeg } from "../src/config/LanguageCatalog.js"
import { languageOf, makeBench, programPrinting } from "./support/bench.js"
import { root, runCli } from "./support/cli.js"
import { startFakeAnthropic } from "./support/fakeAnthropic.js"
import { closedAfterEach } from "./support/scriptedServer.js"

const servers = closedAfterEach()

const tasks = [{ id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" }]

const liveModel = async () => {
  const server = await startFakeAnthropic((req) => ({ text: programPrinting(languageOf(req), "55") }))
  servers.push(server)
  return { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url }
}

describe("language catalog", () => {
  it("ships python, javascript, typescript, bash and ilo, each with a run and a version command", () => {
    const decoded = Schema.decodeUnknownEither(LanguageCatalog)(JSON.parse(readFileSync(join(root, "bench", "languages.json"), "utf8")))
    expect(Either.isRight(decoded)).toBe(true)
    const catalog = Either.getOrThrow(decoded)
    expect(catalog.languages.map((l) => l.name).sort()).toEqual(["bash", "ilo", "javascript", "python", "typescript"])
    for (const leg of catalog.languages) expect(leg.command.some((w) => w.includes("{file}"))).toBe(true)
  })

  it("reads an inline leg NAME:CMD:EXT[:DOCS]", () => {
    expect(parseInlineLeg("zero:/opt/zero/bin/zero run:zero:docs/zero.md")).toEqual({
      name: "zero",
      command: ["/opt/zero/bin/zero", "run", "{file}"],
      extension: ".zero",
      docs: "docs/zero.md",
      version: ["/opt/zero/bin/zero", "--version"]
    })
    expect(parseInlineLeg("py:python3 -u {file} x:.py")?.command).toEqual(["python3", "-u", "{file}", "x"])
    expect(parseInlineLeg("python")).toBeUndefined()
    expect(parseInlineLeg("a::.x")).toBeUndefined()
  })
})

describe("run --lang", () => {
  it("a --lang leg whose binary is missing fails the command (exit 2), naming the leg", async () => {
    const bench = makeBench(tasks)
    const env = await liveModel()
    const result = await runCli(bench.args("--model", "haiku", "--lang", "bash", "--lang", "ghost:no-such-binary-xyz:.gh"), { env })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^ERROR: --lang: ghost: no-such-binary-xyz not found .*leave --lang ghost out/m)
    // Stopped before anything ran: no output directory, no report.
    expect(existsSync(bench.out)).toBe(false)
  })

  it("runs every language side by side in one report and records versions", async () => {
    const bench = makeBench(tasks)
    const docs = join(bench.dir, "sh-docs.md")
    writeFileSync(docs, "Shell docs: use echo.\n")
    const env = await liveModel()
    const result = await runCli(
      bench.args("--model", "haiku", "--lang", "bash", "--lang", "javascript", "--lang", `sh2:bash:sh:${docs}`),
      { env }
    )
    expect(result.code).toBe(0)
    const [report] = bench.reports()
    expect(report.config.languages.map((l: any) => l.name)).toEqual(["ilo", "bash", "javascript", "sh2"])
    const bash = report.config.languages.find((l: any) => l.name === "bash")
    expect(bash).toMatchObject({ command: ["bash", "{file}"], extension: ".sh" })
    expect(bash.version).toMatch(/GNU bash/)
    expect(report.config.languages.find((l: any) => l.name === "javascript").version).toBe(process.version)
    expect(report.config.languages[0].version).toBe("ilo 0.11.6")
    expect(report.config.languages[3].docs).toBe(`file ${docs}`)
    expect(report.results.map((r: any) => [r.language, r.final_outcome])).toEqual([
      ["ilo", "working"],
      ["bash", "working"],
      ["javascript", "working"],
      ["sh2", "working"]
    ])
    const [md] = bench.markdown()
    expect(md).toContain("# Closed-loop benchmark: ilo vs bash vs javascript vs sh2 per-task economics")
    expect(md).not.toContain("ghost/")
  })

  it("--python, --lang2-* and --lang python are the same leg, run once", async () => {
    const bench = makeBench(tasks)
    const env = await liveModel()
    const result = await runCli(bench.args("--model", "haiku", "--python", "--lang", "python"), { env })
    expect(result.code).toBe(0)
    const [report] = bench.reports()
    expect(report.config.languages.map((l: any) => [l.name, l.command, l.extension])).toEqual([
      ["ilo", [expect.stringContaining("ilo"), "{file}", "main"], ".ilo"],
      ["python", ["python3", "{file}"], ".py"]
    ])
    expect(report.results).toHaveLength(2)
  })

  it("the seed's warning for a missing --lang2-bin stays, and the leg is not scored", async () => {
    const bench = makeBench(tasks)
    const env = await liveModel()
    const result = await runCli(bench.args("--model", "haiku", "--lang2-name", "zero", "--lang2-bin", "no-such-zero"), { env })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("WARNING: lang2 binary not found: no-such-zero. Skipping second language.")
    expect(bench.reports()[0].results.map((r: any) => r.language)).toEqual(["ilo"])
  })

  it("an unknown name is a usage error that lists the catalog", async () => {
    const bench = makeBench(tasks)
    const result = await runCli(bench.args("--lang", "cobol"), { env: { ANTHROPIC_API_KEY: "k" } })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--lang: unknown language 'cobol': the catalog has ilo, python, javascript, typescript, bash")
  })
})
