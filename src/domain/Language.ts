/** Where the documentation a model reads for a language comes from. */
export type LanguageDocs =
  | { readonly _tag: "IloSkills"; readonly context: string; readonly modules: ReadonlyArray<string> }
  | { readonly _tag: "File"; readonly path: string; readonly text: string }
  | { readonly _tag: "None" }

/** A language leg of the benchmark: how to run a program in it and what to tell the model about it. */
export interface Language {
  readonly name: string
  /** The run command; "{file}" stands for the program's path. */
  readonly command: ReadonlyArray<string>
  /** File extension including the dot. */
  readonly extension: string
  readonly docs: LanguageDocs
  /** What its version command printed (first line), when the leg was probed. */
  readonly version?: string | undefined
}

/** The five modules the seed sends for ilo, in its order. */
export const ILO_DEFAULT_MODULES = [
  "ilo-language",
  "ilo-builtins-core",
  "ilo-builtins-text",
  "ilo-builtins-math",
  "ilo-builtins-io"
] as const

export const isIlo = (language: Language) => language.docs._tag === "IloSkills"
