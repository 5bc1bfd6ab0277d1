import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { RecordedRequest } from "./fakeAnthropic.js"
import { lastUserText } from "./fakeAnthropic.js"
import { runCli, type CliResult } from "./cli.js"
import { makeStandInIlo } from "./standInIlo.js"

/** A scratch benchmark: a tasks file, a stand-in ilo and an output directory, all in one temp dir. */
export const makeBench = (
  tasks: ReadonlyArray<{ id: string; description: string; expected_output: string }>,
  options: { readonly skills?: Record<string, string> } = {}
) => {
  const dir = mkdtempSync(join(tmpdir(), "ilo-bench-test-"))
  const tasksFile = join(dir, "tasks.json")
  writeFileSync(tasksFile, JSON.stringify({ tasks }))
  const ilo = makeStandInIlo(options.skills ? { skills: options.skills } : {})
  const out = join(dir, "out")
  const common = (more: ReadonlyArray<string>) => ["run", "--ilo", ilo.bin, "--tasks-file", tasksFile, "--output-dir", out, ...more]
  return {
    dir,
    tasksFile,
    ilo: ilo.bin,
    out,
    // Most scripted models read the seed's prompts (a repair starts "The previous ..."): --no-align.
    args: (...more: Array<string>) => common(["--no-align", ...more]),
    /** The run command with the default (aligned) layout. */
    alignedArgs: (...more: Array<string>) => common(more),
    /** The JSON reports written so far, oldest first. */
    reports: (): Array<any> =>
      readdirSync(out)
        .filter((f) => f.endsWith(".json"))
        .sort((a, b) => a.length - b.length || a.localeCompare(b))
        .map((f) => JSON.parse(readFileSync(join(out, f), "utf8"))),
    markdown: (): Array<string> =>
      readdirSync(out)
        .filter((f) => f.endsWith(".md"))
        .sort((a, b) => a.length - b.length || a.localeCompare(b))
        .map((f) => readFileSync(join(out, f), "utf8"))
  }
}

/** The language a request is for, from its system prompt (ilo's, or the generic one naming the language). */
export const languageOf = (request: RecordedRequest): string => {
  const body = request.body ?? {}
  const system: string =
    typeof body.system === "string"
      ? body.system
      : Array.isArray(body.system)
        ? body.system.map((b: any) => b.text).join("")
        : (body.messages ?? []).filter((m: any) => m.role === "system").map((m: any) => m.content).join("")
  if (system.includes("ilo programming language expert")) return "ilo"
  return /runnable program in\n(\S+) that solves/.exec(system)?.[1] ?? "unknown"
}

/** A program in `language` that prints `text` (the stand-in ilo runs its non-comment lines with bash). */
export const programPrinting = (language: string, text: string): string => {
  switch (language) {
    case "python":
      return `print(${JSON.stringify(text)})`
    case "javascript":
      return `console.log(${JSON.stringify(text)})`
    default:
      return `echo '${text}'`
  }
}

/** The user turn of a chat completions request. */
export const userText = (request: RecordedRequest) => lastUserText(request)

export const DOCS = "# ilo-language\nPrefix notation, typed. (stand-in documentation)\n"

/** A scratch benchmark of tasks "Print X." run with the default layout, against a model at `baseUrl`. */
export const scratch = (tasks: ReadonlyArray<{ id: string; expected: string }>) => {
  const bench = makeBench(
    tasks.map((t) => ({ id: t.id, description: `Print ${t.expected}.`, expected_output: t.expected })),
    { skills: { "ilo-language": DOCS } }
  )
  return {
    dir: bench.dir,
    out: bench.out,
    run: (baseUrl: string, args: ReadonlyArray<string> = []): Promise<CliResult> =>
      runCli(bench.alignedArgs(...(args.includes("--model") ? [] : ["--model", "haiku"]), ...args), {
        env: { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: baseUrl }
      }),
    /** The whole command line of a run with these flags (the caller names the model). */
    argsFor: (args: ReadonlyArray<string>) => bench.alignedArgs(...args),
    /** The JSON report the run wrote. */
    report: () => bench.reports()[0],
    markdown: () => bench.markdown()[0]!
  }
}

/** "Expected output: X" of the task a request is about. */
export const expectedOf = (body: any): string => {
  const first = body.messages[0].content as string
  return /Expected output: (.*)\n/.exec(first)?.[1] ?? ""
}

/** Two small tasks for the end-to-end tests of record, replay and counting. */
export const TWO_TASKS = [
  { id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" },
  { id: "count", description: "Print the number of vowels in 'benchmark'.", expected_output: "2" }
]
