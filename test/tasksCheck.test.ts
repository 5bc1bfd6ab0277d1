import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { languageOf, makeBench, programPrinting } from "./support/bench.js"
import { runCli } from "./support/cli.js"
import { startFakeAnthropic } from "./support/fakeAnthropic.js"
import { makeStandInIlo } from "./support/standInIlo.js"
import { closedAfterEach } from "./support/scriptedServer.js"

const servers = closedAfterEach()

/** A small suite with references in every language the check knows, and a bash leg given by --lang. */
const suite = () => {
  const dir = mkdtempSync(join(tmpdir(), "ilo-bench-refs-"))
  const file = join(dir, "tasks.json")
  writeFileSync(
    file,
    JSON.stringify({
      tasks: [
        { id: "one", description: "Print 1.", expected_output: "1" },
        {
          id: "two",
          description: "Print 2.",
          expected_output: "2",
          known_issues: { ilo: "the stand-in's engine prints 3 here" }
        },
        { id: "three", description: "Print 3.", expected_output: "3" }
      ]
    })
  )
  const solutions = join(dir, "solutions")
  mkdirSync(solutions)
  const write = (name: string, text: string) => writeFileSync(join(solutions, name), text)
  for (const [id, n] of [["one", 1], ["two", 2], ["three", 3]] as const) {
    write(`${id}.py`, `print(${n})\n`)
    write(`${id}.mjs`, `console.log(${n})\n`)
  }
  // The stand-in ilo runs a program's non-comment lines with bash.
  write("one.ilo", "-- prints one\necho 1\n")
  write("two.ilo", "echo 3\n")
  write("three.ilo", "echo 4\n")
  write("one.sh", "echo 1\n")
  return { dir, file }
}

describe("tasks: the check's flags", () => {
  it("--json, --lang and --repeat without --check are refused with one line, not ignored while the suite is listed", async () => {
    for (const [args, flag] of [[["--json"], "--json"], [["--lang", "python"], "--lang"], [["--repeat", "3"], "--repeat"]] as const) {
      const r = await runCli(["tasks", ...args])
      expect(r.code, args.join(" ")).toBe(2)
      expect(r.stderr.trim()).toBe(`ERROR: ${flag}: only with --check`)
      expect(r.stdout).toBe("")
    }
  })

  it("--repeat is bounded as --trials is", async () => {
    const r = await runCli(["tasks", "--check", "--repeat", "1000000000"])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe("ERROR: --repeat: must be at most 1000, got 1000000000")
  })
})

describe("tasks --check runs every language's references whose interpreter is present", () => {
  it("--json reports run, passed and failed per language, and why a language was skipped", async () => {
    const ilo = makeStandInIlo()
    const { file } = suite()
    const r = await runCli(["tasks", "--check", "--json", "--tasks-file", file, "--ilo", ilo.bin, "--lang", "shell:bash:.sh", "--lang", "nope:no-such-interpreter:.nope"])
    const report = JSON.parse(r.stdout)
    expect(report.references).toEqual({
      python: { run: 3, passed: 3, failed: [], known_issues: [], missing: [] },
      javascript: { run: 3, passed: 3, failed: [], known_issues: [], missing: [] },
      ilo: { run: 3, passed: 1, failed: ["two", "three"], known_issues: ["two"], missing: [] },
      shell: { run: 1, passed: 1, failed: [], known_issues: [], missing: ["two", "three"] }
    })
    expect(report.skipped).toEqual([expect.stringMatching(/^nope: no \.nope reference solutions in /)])
    // The failure a task's note explains is not a problem of the suite; the other one is.
    expect(report.problems).toEqual([expect.stringMatching(/solutions\/three\.ilo: partial: 4$/)])
    expect(r.code).toBe(2)
  })

  it("prints the failure a known interpreter issue explains beside its note, and exits 0 when that is all", async () => {
    const ilo = makeStandInIlo()
    const { dir, file } = suite()
    writeFileSync(join(dir, "solutions", "three.ilo"), "echo 3\n")
    const r = await runCli(["tasks", "--check", "--tasks-file", file, "--ilo", ilo.bin])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split("\n")
    expect(lines).toEqual([
      expect.stringMatching(/solutions\/two\.ilo: partial: 3 \(known ilo issue: the stand-in's engine prints 3 here\)$/),
      "python: 3/3 references passed",
      "javascript: 3/3 references passed",
      "ilo: 2/3 references passed (failed: two; known interpreter issues: two)",
      `${file}: ok`
    ])
  })

  it("skips ilo, saying why, when its binary does not start", async () => {
    const { file } = suite()
    const r = await runCli(["tasks", "--check", "--json", "--tasks-file", file, "--ilo", "/nonexistent/ilo"])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(Object.keys(report.references)).toEqual(["python", "javascript"])
    expect(report.skipped).toEqual([expect.stringMatching(/^ilo: \/nonexistent\/ilo --version failed \(.+\); 3 references not run$/)])
  })

  it("refuses a --lang that is neither a catalog name nor NAME:CMD:EXT", async () => {
    const { file } = suite()
    const r = await runCli(["tasks", "--check", "--tasks-file", file, "--ilo", "/nonexistent/ilo", "--lang", "klingon"])
    expect(r.code).toBe(2)
    expect(r.stdout).toContain("--lang klingon: not a language of the catalog, nor NAME:CMD:EXT")
  })
})

describe("a task's note of a known interpreter issue", () => {
  it("is shown beside the task's results for that language, and only that language", async () => {
    const note = "the interpreter reads ord as 0 in arithmetic"
    const bench = makeBench([
      { id: "shift", description: "Print 55.", expected_output: "55", known_issues: { ilo: note } } as { id: string; description: string; expected_output: string }
    ])
    const server = await startFakeAnthropic((req) => ({ text: programPrinting(languageOf(req), "55") }))
    servers.push(server)
    const r = await runCli(bench.args("--model", "haiku", "--python"), { env: { ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: server.url } })
    expect(r.code).toBe(0)
    const [report] = bench.reports()
    const byLanguage = Object.fromEntries(report.results.map((x: any) => [x.language, x]))
    expect(byLanguage.ilo.known_issue).toBe(note)
    expect(byLanguage.python.known_issue).toBeUndefined()
    expect(report.notes).toContainEqual(expect.stringContaining("known interpreter issue for their language (shift on ilo)"))
    const markdown = bench.markdown()[0]!
    expect(markdown).toContain(`**ilo / haiku**`)
    expect(markdown.split("**python / haiku**")[0]).toContain(`- Known interpreter issue: ${note}`)
    expect(markdown.split("**python / haiku**")[1]).not.toContain("Known interpreter issue")
  })
})
