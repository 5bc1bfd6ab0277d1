import { Data } from "effect"

/** Bad input from the user: the CLI prints `message` on one line and exits 2. */
export class TaskNotFound extends Data.TaggedError("TaskNotFound")<{ readonly id: string; readonly file: string; readonly suggestion?: string | undefined }> {
  override get message() {
    return `--task: task '${this.id}' not found in ${this.file}${this.suggestion !== undefined ? `; did you mean '${this.suggestion}'?` : " (`ilo-bench tasks` lists them)"}`
  }
}

export class TasksFileError extends Data.TaggedError("TasksFileError")<{
  readonly file: string
  readonly reason: string
}> {
  override get message() {
    return `tasks file ${this.file}: ${this.reason}`
  }
}

export class IloNotRunnable extends Data.TaggedError("IloNotRunnable")<{ readonly bin: string; readonly reason: string }> {
  override get message() {
    return `ilo binary not found or not runnable: ${this.bin} (${this.reason})`
  }
}

export class MissingApiKey extends Data.TaggedError("MissingApiKey")<{ readonly variable: string }> {
  override get message() {
    return `${this.variable} not set`
  }
}

export class InvalidFlag extends Data.TaggedError("InvalidFlag")<{ readonly flag: string; readonly reason: string }> {
  override get message() {
    return `${this.flag}: ${this.reason}`
  }
}

export class DocsFileError extends Data.TaggedError("DocsFileError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `language docs ${this.path}: ${this.reason}`
  }
}

export class ModelCatalogError extends Data.TaggedError("ModelCatalogError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `model catalog ${this.path}: ${this.reason}`
  }
}

/** Writing a report or checkpoint failed: nothing the user typed is wrong, but the run's output is at risk. */
export class OutputError extends Data.TaggedError("OutputError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `cannot write ${this.path}: ${this.reason}`
  }
}

export class LanguageNamed extends Data.TaggedError("LanguageNamed")<{ readonly task: string; readonly word: string; readonly more: number }> {
  override get message() {
    return `task '${this.task}' names a language in its description ('${this.word}')${
      this.more > 0 ? ` (and ${this.more} more)` : ""
    }; reword it, or pass --allow-language-named`
  }
}

/** Errors that mean "fix your command line or input files": exit code 2. */
export type UsageError =
  | TaskNotFound
  | TasksFileError
  | IloNotRunnable
  | MissingApiKey
  | InvalidFlag
  | DocsFileError
  | LanguageNamed
  | CheckpointError
  | CheckpointMismatch
  | ModelCatalogError

/** A checkpoint that cannot be read back (missing, empty, not a checkpoint) or is in use by another ilo-bench. Exit code 2. */
export class CheckpointError extends Data.TaggedError("CheckpointError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `checkpoint ${this.path}: ${this.reason}`
  }
}

/** --resume with a configuration that would change results; `--force` overrides. Exit code 2. */
export class CheckpointMismatch extends Data.TaggedError("CheckpointMismatch")<{
  readonly path: string
  readonly differences: ReadonlyArray<string>
}> {
  override get message() {
    return `cannot resume ${this.path}: ${this.differences.join("; ")} (--force resumes anyway)`
  }
}

/** Outcomes that are not errors of the user's, told already (exit 3): some runs ended in "error". */
export class RunsEndedInError extends Data.TaggedError("RunsEndedInError")<{ readonly count: number }> {}

/** `validate` listed what it found: a file it could not read or decode (exit 2), else problems (exit 1). */
export class ResultsNotPublishable extends Data.TaggedError("ResultsNotPublishable")<{ readonly unreadable: boolean }> {}

/** `tasks --check` found problems, and listed them (exit 2). */
export class TasksHaveProblems extends Data.TaggedError("TasksHaveProblems")<{ readonly count: number }> {}
