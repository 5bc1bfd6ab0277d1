// Keys in the environment, kept from generated programs. A program gets an environment of its own
// without them (programProcess.ts), but it runs as the same user as the harness, so on Linux it
// could still read the harness's starting environment from /proc/<pid>/environ. Plain Node: the
// program host can use it too.
import { closeSync, openSync, readFileSync, writeSync } from "node:fs"

/** Names that hold a secret: ANTHROPIC_API_KEY, OPENAI_API_KEY, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, ... */
const SECRET_NAME = /(^|_)(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$/i

/** Values this short are too likely to occur by chance in a program's output. */
const MIN_SECRET_LENGTH = 8

/** The values of the environment's secrets, longest first: one that holds another is taken out whole. */
export const secretValues = (env: NodeJS.ProcessEnv = process.env): ReadonlyArray<string> =>
  Object.entries(env)
    .flatMap(([name, value]) => (SECRET_NAME.test(name) && value !== undefined && value.length >= MIN_SECRET_LENGTH ? [value] : []))
    .sort((a, b) => b.length - a.length)

export const REDACTED = "[redacted]"

/** The text with every secret replaced: what a program printed is kept, sent to the model and written. */
export const redact = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED)
  return out
}

/**
 * Linux: copies every variable of the environment to the heap (setenv), then zeroes the block the
 * kernel put on the stack at exec, which is what /proc/<pid>/environ shows. process.env is
 * unchanged. Best effort: false when there is no /proc or it cannot be written.
 */
export const wipeStartingEnvironment = (): boolean => {
  if (process.platform !== "linux") return false
  try {
    const stat = readFileSync("/proc/self/stat", "utf8")
    // Fields after the command name, which may hold spaces: env_start and env_end are fields 50 and 51.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const start = Number(fields[47])
    const end = Number(fields[48])
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) return false
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined) process.env[name] = value
    const fd = openSync("/proc/self/mem", "r+")
    try {
      writeSync(fd, Buffer.alloc(end - start), 0, end - start, start)
    } finally {
      closeSync(fd)
    }
    return true
  } catch {
    return false
  }
}

/** A URL as it may be recorded: no user name, password or fragment, a query's text replaced by [redacted]; anything but http(s) not at all. */
export const recordableUrl = (url: string): string => {
  if (!URL.canParse(url)) return REDACTED
  const parsed = new URL(url)
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return REDACTED
  // The origin and path as written (href would add a "/" to a bare origin).
  const written = url.split(/[?#]/)[0]!
  const base =
    parsed.username === "" && parsed.password === ""
      ? written
      : `${parsed.protocol}//${parsed.host}${written.endsWith("/") || parsed.pathname !== "/" ? parsed.pathname : ""}`
  return base + (parsed.search !== "" ? `?${REDACTED}` : "")
}
