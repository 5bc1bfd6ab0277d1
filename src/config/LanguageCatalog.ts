import { Data, Schema } from "effect"

/**
 * One language leg as the catalog (bench/languages.json) or a flag describes it: how to run a
 * program, what the model reads about the language, and the command whose output names the
 * version that ran.
 */
export const LegDescription = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  /** The run command; "{file}" stands for the program's path. */
  command: Schema.Array(Schema.String).pipe(Schema.minItems(1)),
  /** File extension including the dot. */
  extension: Schema.String.pipe(Schema.startsWith(".")),
  /** A documentation file sent in every prompt (relative to the catalog file, or to the working directory inline). */
  docs: Schema.optional(Schema.String),
  /** ilo skill modules sent in every prompt (ilo only). */
  skills: Schema.optional(Schema.Array(Schema.String)),
  /** Run before the benchmark; the first line it prints is recorded. A binary that cannot start skips the leg. */
  version: Schema.Array(Schema.String).pipe(Schema.minItems(1))
})
export type LegDescription = typeof LegDescription.Type

export const LanguageCatalog = Schema.Struct({ languages: Schema.Array(LegDescription) })
export type LanguageCatalog = typeof LanguageCatalog.Type

export class LanguageCatalogError extends Data.TaggedError("LanguageCatalogError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `language catalog ${this.path}: ${this.reason}`
  }
}

/**
 * An inline leg, `NAME:CMD:EXT[:DOCS]`: CMD is split on spaces and gets "{file}" appended when it
 * does not place it; EXT gets a leading dot if it lacks one. Undefined when the text is not of
 * that shape.
 */
export const parseInlineLeg = (text: string): LegDescription | undefined => {
  const parts = text.split(":")
  if (parts.length < 3 || parts.length > 4) return undefined
  const [name, cmd, ext, docs] = parts.map((p) => p.trim()) as [string, string, string, string | undefined]
  const words = cmd.split(/\s+/).filter((w) => w !== "")
  if (name === "" || words.length === 0 || ext === "") return undefined
  const command = words.some((w) => w.includes("{file}")) ? words : [...words, "{file}"]
  return {
    name,
    command,
    extension: ext.startsWith(".") ? ext : `.${ext}`,
    ...(docs !== undefined && docs !== "" ? { docs } : {}),
    version: [words[0]!, "--version"]
  }
}
