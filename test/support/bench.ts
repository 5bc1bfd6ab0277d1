import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { RecordedRequest } from "./fakeAnthropic.js"
import { lastUserText } from "./fakeAnthropic.js"
import { makeStandInIlo } from "./standInIlo.js"

/** A scratch benchmark: a tasks file, a stand-in ilo and an output directory, all in one temp dir. */
export const makeBench = (tasks: ReadonlyArray<{ id: string; description: string; expected_output: string }>) => {
  const dir = mkdtempSync(join(tmpdir(), "ilo-bench-test-"))
  const tasksFile = join(dir, "tasks.json")
  writeFileSync(tasksFile, JSON.stringify({ tasks }))
  const ilo = makeStandInIlo()
  const out = join(dir, "out")
  return {
    dir,
    tasksFile,
    ilo: ilo.bin,
    out,
    // The scripted models here read the seed's prompts (a repair starts "The previous ..."); the
    // aligned layout has tests of its own.
    args: (...more: Array<string>) => ["run", "--no-align", "--ilo", ilo.bin, "--tasks-file", tasksFile, "--output-dir", out, ...more],
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
