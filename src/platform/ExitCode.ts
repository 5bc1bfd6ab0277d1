import { ValidationError } from "@effect/cli"
import { Cause, Exit, Option } from "effect"

/** The exit codes the README promises. */
export const ExitCode = {
  ok: 0,
  /** Something broke that is not the user's input (a defect, or a report could not be written). */
  failure: 1,
  /** Bad input: flags, tasks file, missing binary or key. */
  usage: 2,
  /** The run completed but some runs ended in "error" (the model could not be reached). */
  someErrors: 3,
  interrupted: 130
} as const

/** How a command ended, as the process's exit code: the one place that decides it. */
export const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return ExitCode.ok
  if (Cause.isInterruptedOnly(exit.cause)) return ExitCode.interrupted
  const error = Cause.failureOption(exit.cause)
  if (Option.isNone(error)) return ExitCode.failure
  const e = error.value
  if (ValidationError.isValidationError(e)) return ExitCode.usage
  const tag = typeof e === "object" && e !== null && "_tag" in e ? e._tag : undefined
  // Stopped from outside, as a Ctrl-C would have.
  if (tag === "BatchCanceled") return ExitCode.interrupted
  if (tag === "ResultsNotPublishable") return (e as { readonly unreadable: boolean }).unreadable ? ExitCode.usage : ExitCode.failure
  if (tag === "RunsEndedInError") return ExitCode.someErrors
  // The harness's own failures (no program host, programs it keeps failing to run) are not usage errors.
  return tag === "OutputError" || tag === "ProgramHostUnavailable" || tag === "HarnessFailing" ? ExitCode.failure : ExitCode.usage
}
