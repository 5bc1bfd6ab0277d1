import type { Task } from "../domain/Task.js"

/**
 * Names a task description must not contain: telling every language to "write an ilo program"
 * measures the instruction, not the language. Ambiguous English words (go, zero, c, r) are only
 * checked when a language of that name is being run.
 */
export const COMMON_LANGUAGE_NAMES = [
  "ilo", "python", "javascript", "typescript", "node.js", "nodejs", "java", "kotlin", "scala", "ruby", "rust",
  "golang", "swift", "haskell", "ocaml", "perl", "php", "bash", "zsh", "powershell", "lua", "elixir", "erlang",
  "clojure", "c++", "c#", "zig", "julia", "moonbit", "ailang", "nanolang", "fortran", "cobol", "dart"
] as const

export interface LanguageNamed {
  readonly task: string
  readonly word: string
}

const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Every (task, word) where a description names one of the languages; whole words, any case. */
export const findLanguageNames = (
  tasks: ReadonlyArray<Task>,
  running: ReadonlyArray<string>
): ReadonlyArray<LanguageNamed> => {
  const words = [...new Set([...COMMON_LANGUAGE_NAMES, ...running.map((n) => n.toLowerCase())])]
  const patterns = words.map((word) => ({ word, re: new RegExp(`(?<![\\w.#+])${escape(word)}(?![\\w#+]|\\.\\w)`, "i") }))
  return tasks.flatMap((task) => patterns.filter((p) => p.re.test(task.description)).map((p) => ({ task: task.id, word: p.word })))
}
