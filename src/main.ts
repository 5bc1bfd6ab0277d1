import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Layer, Logger, LogLevel, Option } from "effect"
import { rmSync } from "node:fs"
import { cli } from "./Cli.js"
import { ExitCode, exitCodeOf } from "./platform/ExitCode.js"
import { oneLine } from "./report/format.js"
import { removeOnExitNow, underWay } from "./platform/exitNow.js"
import { wipeStartingEnvironment } from "./platform/secrets.js"
import { guardStream } from "./platform/terminal.js"
import { ProgramRunnerLive } from "./services/ProgramRunner.js"

// Before any program can run: a program could otherwise read the key from /proc/<our pid>/environ.
wipeStartingEnvironment()
// No escape sequence from outside (an API's error, a tasks file) reaches the terminal raw.
guardStream(process.stdout)
guardStream(process.stderr)

// Logs are for people watching: stderr, one plain line each, stdout stays the seed's.
const stderrLogger = Logger.make(({ logLevel, message }) => {
  const text = oneLine(Array.isArray(message) ? message.join(" ") : String(message), Infinity)
  const prefix = logLevel._tag === "Warning" ? "WARNING: " : logLevel._tag === "Error" ? "ERROR: " : ""
  process.stderr.write(`${prefix}${text}\n`)
})

const MainLayer = Layer.mergeAll(
  NodeContext.layer,
  ProgramRunnerLive,
  Logger.replace(Logger.defaultLogger, stderrLogger),
  Logger.minimumLogLevel(LogLevel.Info)
)

/** Every expected error becomes one line on stderr (parse errors in Cli.ts); exitCodeOf picks the code. */
const program = cli(process.argv).pipe(
  Effect.tapError((error) =>
    // @effect/cli has printed its own (Cli.ts); the rest were told as the command went.
    ValidationError.isValidationError(error) || error._tag === "RunsEndedInError" ||
    error._tag === "TasksHaveProblems" ||
    error._tag === "ResultsNotPublishable"
      ? Effect.void
      : // One line, whatever the message quotes (a file's text, a response body).
        Console.error(`ERROR: ${oneLine(error.message, Infinity)}`)
  ),
  Effect.provide(MainLayer)
)

// The first SIGINT/SIGTERM interrupts the program (runMain's handler): runs in flight stop, partial
// reports are written. A second one means "now": exit at once; every finished run is already in
// the checkpoint, flushed line by line.
let signals = 0
const onSignal = () => {
  if (++signals < 2) return
  const resume = underWay.resumeWith
  process.stderr.write(
    `\nInterrupted again: exiting now. The checkpoint keeps every finished run.${resume !== undefined ? `\nResume with:\n  ${resume}` : ""}\n`
  )
  for (const path of removeOnExitNow) rmSync(path, { recursive: true, force: true })
  process.exit(ExitCode.interrupted)
}
process.on("SIGINT", onSignal)
process.on("SIGTERM", onSignal)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  // Without this runMain adds Effect's pretty logger beside ours, and every warning is printed twice, once on stdout.
  disablePrettyLogger: true,
  teardown: (exit, onExit) => {
    if (Exit.isFailure(exit) && Option.isNone(Cause.failureOption(exit.cause)) && !Cause.isInterruptedOnly(exit.cause))
      process.stderr.write(`ERROR: ${Cause.pretty(exit.cause)}\n`)
    onExit(exitCodeOf(exit))
  }
})
