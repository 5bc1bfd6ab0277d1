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

/** Sets the code the process leaves with once its work is done (the one place that touches it). */
export const setExitCode = (code: number) => {
  process.exitCode = code
}
