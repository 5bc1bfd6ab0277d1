/**
 * `--help` as a person reads it. @effect/cli writes every option as a block of paragraphs, most of
 * them its own boilerplate ("A user-defined piece of text.", "This setting is optional."), and a
 * usage line of every flag on one line. Its text is rewritten here: one line per option (wrapped
 * at 100 columns), a short usage line with the program's name, and for each command the
 * environment variables, exit codes and examples a new user needs.
 */

const WIDTH = 100
const FLAG_COLUMN = 30

const BOILERPLATE = [
  /^A user-defined piece of text\.$/,
  /^An integer\.$/,
  /^A floating point number\.$/,
  /^A true or false value\.$/,
  /^This setting is optional\.$/,
  /^This option can be set from environment variables\.$/,
  /^One of the following: .*$/,
  /^This option may be repeated .*$/,
  /^This option must be repeated .*$/,
  /^This argument must be repeated .*$/,
  /^An? [a-z ]+\.$/
]
/** @effect/cli's own options that a benchmark user does not need listed (they still work). */
const HIDDEN = new Set(["--completions", "--log-level", "--wizard"])

const SUMMARIES: Record<string, string> = {
  run: "Run the benchmark: ask a model, run its program, repair; write JSON, Markdown and HTML.",
  tasks: "List the task suite; with --check, verify it and its reference solutions.",
  report: "Re-render the Markdown and HTML reports from saved results (several merge into one).",
  compare: "Compare two runs: outcome changes, token and attempt deltas, success-rate tests.",
  schema: "Print the JSON Schema of the result file (the JSON report).",
  validate: "Check result files before their numbers are published: exit 0 yes, 1 a line per problem, 2 unreadable."
}

const EXIT_CODES = [
  "0    done (run: every run finished; with --max-cost, the report says what was not started)",
  "1    validate: numbers that should not be published as they stand (a line each); else",
  "     something broke that is not your input (a report could not be written, a defect)",
  "2    bad input, one ERROR line: a flag, a tasks file, a missing binary or key, a model API",
  "     that refuses the key, does not know the model or is not there",
  "3    run: finished, but some runs ended in \"error\" (the model API gave no reply, or the",
  "     harness could not run a program): nothing about the language",
  "130  interrupted (Ctrl-C): partial reports written; the resume command is printed"
]

const EXTRA: Record<string, { readonly environment?: ReadonlyArray<string>; readonly examples: ReadonlyArray<string> }> = {
  run: {
    environment: [
      "ANTHROPIC_API_KEY     the key for --provider anthropic (not needed with --dry-run or --replay)",
      "ANTHROPIC_BASE_URL    another Messages API address (like --base-url)",
      "OPENAI_API_KEY        the key for --provider openai (a local server needs none)",
      "OPENAI_BASE_URL       a chat-completions address: OpenAI, Ollama, vLLM, llama-server",
      "ILO                   the ilo binary (like --ilo)",
      "NO_COLOR              no colour in help on a terminal"
    ],
    examples: [
      "ilo-bench run --dry-run --python                 # the plan and its cost bound; no key needed",
      "ilo-bench run --python --model haiku --task title-case --task rotate-list",
      "ilo-bench run --lang javascript --model haiku --category lists --trials 3 --max-cost 5",
      "ilo-bench run --python --model haiku --resume bench/closed-loop-2026-11-25.jsonl   # after Ctrl-C"
    ]
  },
  tasks: {
    examples: ["ilo-bench tasks", "ilo-bench tasks --check --tasks-file my-tasks.json"]
  },
  report: {
    examples: [
      "ilo-bench report bench/closed-loop-2026-11-25.json",
      "ilo-bench report --output-dir out ilo.json python.json   # legs of one sweep, merged",
      "ilo-bench report bench/closed-loop-2026-11-25.jsonl      # an unfinished run's checkpoint"
    ]
  },
  compare: {
    examples: ["ilo-bench compare bench/before.json bench/after.json", "ilo-bench compare --output-dir out a.jsonl b.json"]
  },
  validate: {
    examples: ["ilo-bench validate bench/closed-loop-2026-11-25.json   # exit 0: its numbers can be published"]
  },
  schema: {
    examples: ["ilo-bench schema > ilo-bench-report.schema.json   # for a validator in another language"]
  }
}

/** Words wrapped to `width`, every line after the first indented by `indent`. */
const wrap = (text: string, first: string, indent: number) => {
  const lines: Array<string> = []
  let line = first
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const sep = line.trim() === "" || line.endsWith(" ") ? "" : " "
    if (line.length + sep.length + word.length > WIDTH && line.trim() !== "") {
      lines.push(line.trimEnd())
      line = " ".repeat(indent) + word
    } else line += sep + word
  }
  lines.push(line.trimEnd())
  return lines
}

/** What a text flag's value is, for its line in the help. */
const METAVARS: Record<string, string> = {
  "--ilo": "PATH", "--model": "M", "--task": "ID", "--category": "C", "--lang": "NAME|NAME:CMD:EXT", "--lang2-name": "NAME",
  "--lang2-bin": "PATH", "--lang2-ext": "EXT", "--lang2-docs": "FILE", "--output-dir": "DIR", "--tasks-file": "FILE",
  "--base-url": "URL", "--context": "NAME", "--record": "FILE", "--replay": "FILE", "--resume": "FILE",
  "--baseline": "LANG", "--shard": "I/N|auto"
}

/** "--ilo text" -> "--ilo PATH", "--retry-cap integer" -> "--retry-cap N", "--cache warm | cold" -> "--cache warm|cold". */
const flagLabel = (heading: string) => {
  const bare = heading.replace(/^\((.*)\)$/, "$1")
  if (bare.startsWith("-h,")) return { flag: "--help", label: "-h, --help" }
  const [flag, ...rest] = bare.split(" ")
  const arg = rest.join(" ").replace(/\.\.\.$/, "")
  const shown =
    arg === "" ? "" : arg === "text" ? (METAVARS[flag!] ?? "VALUE") : arg === "integer" ? "N" : arg === "float" ? "X" : arg.replace(/ \| /g, "|")
  return { flag: flag!, label: `${flag}${shown !== "" ? ` ${shown}` : ""}` }
}

interface Parsed {
  readonly command: string | undefined
  readonly version: string
  readonly description: string
  readonly options: ReadonlyArray<{ readonly heading: string; readonly paragraphs: ReadonlyArray<string> }>
  readonly args: ReadonlyArray<{ readonly heading: string; readonly paragraphs: ReadonlyArray<string> }>
  readonly commands: ReadonlyArray<string>
}

const parse = (text: string): Parsed => {
  const lines = text.split("\n")
  const sections = new Map<string, Array<string>>()
  let current = "HEAD"
  for (const line of lines) {
    if (/^[A-Z]+$/.test(line.trim()) && !line.startsWith(" ")) {
      current = line.trim()
      sections.set(current, [])
    } else (sections.get(current) ?? sections.set(current, []).get(current)!).push(line)
  }
  const usage = (sections.get("USAGE") ?? []).find((l) => l.startsWith("$ ")) ?? ""
  const name = usage.slice(2).split(" ")[0]
  const blocks = (section: string) => {
    const out: Array<{ heading: string; paragraphs: Array<string> }> = []
    for (const line of sections.get(section) ?? []) {
      if (line.trim() === "") continue
      if (!line.startsWith(" ")) out.push({ heading: line.trim(), paragraphs: [] })
      else out.at(-1)?.paragraphs.push(line.trim())
    }
    return out
  }
  return {
    command: name === "ilo-bench" ? undefined : name,
    version: (sections.get("HEAD") ?? []).map((l) => l.trim()).find((l) => /\d+\.\d+/.test(l)) ?? "",
    description: (sections.get("DESCRIPTION") ?? []).map((l) => l.trim()).filter((l) => l !== "").join(" "),
    options: blocks("OPTIONS"),
    args: blocks("ARGUMENTS"),
    commands: (sections.get("COMMANDS") ?? []).map((l) => /^\s*- (\S+)/.exec(l)?.[1]).filter((c): c is string => c !== undefined)
  }
}

const optionLines = (blocks: Parsed["options"]) =>
  blocks.flatMap(({ heading, paragraphs }, i) => {
    const { flag, label: own } = flagLabel(heading)
    if (HIDDEN.has(flag)) return []
    // A flag and its negation (--align, --no-align) share one description: one line for both.
    const same = (j: number) => blocks[j] !== undefined && blocks[j]!.paragraphs.join() === paragraphs.join()
    if (same(i - 1)) return []
    const label = same(i + 1) ? `${own}, ${flagLabel(blocks[i + 1]!.heading).label}` : own
    const kept = paragraphs.filter((p) => !BOILERPLATE.some((b) => b.test(p)))
    const repeatable = paragraphs.some((p) => p.startsWith("This option may be repeated")) && !kept.some((p) => /repeatable/i.test(p))
    const text = [...kept, ...(repeatable ? ["Repeatable."] : [])].join(" ")
    const head = `  ${label}`
    return head.length + 2 > FLAG_COLUMN ? [head, ...wrap(text, " ".repeat(FLAG_COLUMN), FLAG_COLUMN)] : wrap(text, head.padEnd(FLAG_COLUMN), FLAG_COLUMN)
  })

/** @effect/cli's help text, rewritten; text that is not a help page comes back unchanged. */
export const reformatHelp = (raw: string): string => {
  if (!/\nUSAGE\n/.test(raw) || !/\nOPTIONS\n/.test(raw)) return raw
  const p = parse(raw)
  const out: Array<string> = []
  if (p.command === undefined) {
    out.push(...wrap(`ilo-bench ${p.version.replace(/^ilo-bench /, "")}: ${p.description}`, "", 2), "", "Usage: ilo-bench COMMAND [options]    (ilo-bench COMMAND --help for each)", "", "Commands:")
    const width = Math.max(...p.commands.map((c) => c.length)) + 4
    for (const c of p.commands) out.push(...wrap(SUMMARIES[c] ?? "", `  ${c.padEnd(width)}`, width + 2))
    out.push("", "Options:", ...optionLines(p.options))
    out.push("", "Exit codes:", ...EXIT_CODES.map((l) => `  ${l}`))
    out.push("", "Examples:", "  npx ilo-bench run --dry-run --python", "  npx ilo-bench run --python --model haiku", "  npx ilo-bench report bench/closed-loop-2026-11-25.json")
    return out.join("\n") + "\n"
  }
  const args = p.args.map((a) => a.heading.split(" ")[0]!.toUpperCase().replace(/[<>]/g, "") + (a.heading.includes("1+") ? "..." : ""))
  out.push(`Usage: ilo-bench ${p.command} [options]${args.length > 0 ? ` ${args.join(" ")}` : ""}`, "")
  out.push(...wrap(p.description, "", 0))
  if (p.args.length > 0) {
    out.push("", "Arguments:")
    for (const a of p.args) {
      const label = `  ${a.heading.split(" ")[0]!.toUpperCase().replace(/[<>]/g, "")}${a.heading.includes("1+") ? "..." : ""}`
      out.push(...wrap(a.paragraphs.filter((x) => !BOILERPLATE.some((b) => b.test(x))).join(" "), label.padEnd(FLAG_COLUMN), FLAG_COLUMN))
    }
  }
  out.push("", "Options:", ...optionLines(p.options))
  const extra = EXTRA[p.command]
  if (extra?.environment) out.push("", "Environment:", ...extra.environment.map((l) => `  ${l}`))
  out.push("", "Exit codes:", ...EXIT_CODES.map((l) => `  ${l}`))
  if (extra) out.push("", "Examples:", ...extra.examples.map((l) => `  ${l}`))
  return out.join("\n") + "\n"
}
