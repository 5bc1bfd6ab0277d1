import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runCli, type CliResult } from "./cli.js"
import { makeStandInIlo } from "./standInIlo.js"

export const DOCS = "# ilo-language\nPrefix notation, typed. (stand-in documentation)\n"

/** A scratch directory with a tasks file, a stand-in ilo that serves one skill module, and an output dir. */
export const scratch = (tasks: ReadonlyArray<{ id: string; expected: string }>) => {
  const dir = mkdtempSync(join(tmpdir(), "ilo-bench-e2e-"))
  const tasksFile = join(dir, "tasks.json")
  writeFileSync(
    tasksFile,
    JSON.stringify({ tasks: tasks.map((t) => ({ id: t.id, description: `Print ${t.expected}.`, expected_output: t.expected })) })
  )
  const ilo = makeStandInIlo({ skills: { "ilo-language": DOCS } })
  const out = join(dir, "out")
  return {
    dir,
    out,
    run: (baseUrl: string, args: ReadonlyArray<string> = []): Promise<CliResult> =>
      runCli(["run", "--ilo", ilo.bin, "--tasks-file", tasksFile, "--output-dir", out, ...(args.includes("--model") ? [] : ["--model", "haiku"]), ...args], {
        env: { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: baseUrl }
      }),
    /** The JSON report the run wrote. */
    report: () => {
      const file = readdirSync(out).find((f) => f.endsWith(".json"))!
      return JSON.parse(readFileSync(join(out, file), "utf8"))
    },
    markdown: () => readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".md"))!), "utf8")
  }
}

/** "Expected output: X" of the task a request is about. */
export const expectedOf = (body: any): string => {
  const first = body.messages[0].content as string
  return /Expected output: (.*)\n/.exec(first)?.[1] ?? ""
}
