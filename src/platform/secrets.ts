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

/** Whitespace a program may put inside an encoded key: `base64` wraps its output every 76 characters. */
const GAP = "\\s*"

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** A pattern for `text` that also matches it with whitespace (line breaks) between any two characters. */
const spaced = (text: string) => [...text].map(escapeRegExp).join(GAP)

/**
 * The base64 texts that a key's bytes turn into wherever it stands in what is encoded: its offset
 * modulo 3 changes the characters at its edges, so the characters that depend on the key alone are
 * kept for each of the three offsets. base64url differs only in two characters.
 */
const base64Forms = (secret: Buffer): ReadonlyArray<string> =>
  [0, 1, 2].flatMap((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), secret]).toString("base64")
    // Characters fully made of key bits: after the offset's bytes, before the last partial group.
    const start = offset === 0 ? 0 : offset === 1 ? 2 : 3
    const end = Math.floor(((offset + secret.length) * 8) / 6)
    const core = encoded.slice(start, end)
    return core.length >= 8 ? [core, core.replace(/\+/g, "-").replace(/\//g, "_")] : []
  })

/**
 * What a program can trivially make of a key, each as a pattern: the key, reversed, in hex (either
 * case) and in base64 or base64url at any alignment, with or without line breaks inside.
 */
const secretPattern = (secret: string): string => {
  const bytes = Buffer.from(secret, "utf8")
  const forms = [secret, [...secret].reverse().join(""), ...base64Forms(bytes)].map(spaced)
  const hex = [...bytes.toString("hex")].map((c) => (/[a-f]/.test(c) ? `[${c}${c.toUpperCase()}]` : c)).join(GAP)
  return [...new Set([...forms, hex])].join("|")
}

/** One regular expression for all the secrets, made once per list (a program's output is redacted against the same list). */
const patterns = new WeakMap<ReadonlyArray<string>, RegExp | null>()
const patternOf = (secrets: ReadonlyArray<string>): RegExp | null => {
  let pattern = patterns.get(secrets)
  if (pattern === undefined) {
    // Longest first: a secret that holds another is taken out whole.
    pattern = secrets.length === 0 ? null : new RegExp(secrets.map(secretPattern).join("|"), "g")
    patterns.set(secrets, pattern)
  }
  return pattern
}

/**
 * The text with every secret replaced, in any of the forms a program can trivially print it in
 * (secretPattern): what a program printed is kept, sent to the model and written.
 */
export const redact = (text: string, secrets: ReadonlyArray<string>): string => {
  const pattern = patternOf(secrets)
  return pattern === null ? text : text.replace(pattern, REDACTED)
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
