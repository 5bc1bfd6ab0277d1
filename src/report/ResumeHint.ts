import { basename, isAbsolute, relative } from "node:path"
import { recordableUrl } from "../platform/secrets.js"

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/

/** Quotes a word for a POSIX shell only when it needs it. */
export const shellQuote = (word: string) => (SAFE.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)

const OWN_FLAGS = new Set(["--force", "--retry-errors"])

/**
 * The command that finishes this benchmark: the same arguments (so the configuration matches),
 * without any earlier --resume/--force/--retry-errors, then `--resume <checkpoint>`.
 */
export const resumeCommand = (args: ReadonlyArray<string>, checkpoint: string, extra: ReadonlyArray<string> = [], invoked: ReadonlyArray<string> = ["ilo-bench"]) => {
  const kept: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--resume") {
      i++
      continue
    }
    if (arg.startsWith("--resume=") || OWN_FLAGS.has(arg)) continue
    // The hint is printed and written into the reports: a base URL's credentials stay out of it.
    if (arg === "--base-url" && i + 1 < args.length) {
      kept.push(arg, recordableUrl(args[++i]!))
      continue
    }
    kept.push(arg.startsWith("--base-url=") ? `--base-url=${recordableUrl(arg.slice("--base-url=".length))}` : arg)
  }
  return [...invoked, ...kept, "--resume", checkpoint, ...extra].map(shellQuote).join(" ")
}

/**
 * The words that started this process, as the user typed them: `npx ilo-bench` under npx (npm
 * says so in npm_command), `ilo-bench` when the command was found on PATH, else
 * `node <script>` (relative to the working directory when it is inside it).
 */
export const invokedAs = (
  script: string | undefined = process.argv[1],
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd()
): ReadonlyArray<string> => {
  if (env["npm_command"] === "exec" || env["npm_lifecycle_event"] === "npx") return ["npx", "ilo-bench"]
  if (script === undefined || basename(script) === "ilo-bench") return ["ilo-bench"]
  const rel = relative(cwd, script)
  return ["node", rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : script]
}
