#!/usr/bin/env node
import { ValidationError } from "@effect/cli"
// Deep imports: the package index would load its HTTP client and server too, slowing every start.
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Layer, Logger, LogLevel } from "effect"
import { cli } from "./Cli.js"
import { ExitCode, setExitCode } from "./ExitCode.js"
import { ProgramRunnerLive } from "./services/ProgramRunner.js"

// Logs are for people watching: stderr, one plain line each, stdout stays the seed's.
const stderrLogger = Logger.make(({ logLevel, message }) => {
  const text = Array.isArray(message) ? message.join(" ") : String(message)
  const prefix = logLevel._tag === "Warning" ? "WARNING: " : logLevel._tag === "Error" ? "ERROR: " : ""
  process.stderr.write(`${prefix}${text}\n`)
})

const MainLayer = Layer.mergeAll(
  NodeContext.layer,
  ProgramRunnerLive,
  Logger.replace(Logger.defaultLogger, stderrLogger),
  Logger.minimumLogLevel(LogLevel.Info)
)

/** Every expected error becomes one line on stderr and an exit code, here and nowhere else. */
const program = cli(process.argv).pipe(
  Effect.catchAll((error) => {
    if (ValidationError.isValidationError(error)) {
      // @effect/cli has already shown it with the usage.
      return Effect.sync(() => setExitCode(ExitCode.usage))
    }
    const code = error._tag === "OutputError" ? ExitCode.failure : ExitCode.usage
    return Console.error(`ERROR: ${error.message}`).pipe(Effect.zipRight(Effect.sync(() => setExitCode(code))))
  }),
  Effect.provide(MainLayer)
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    if (Exit.isSuccess(exit)) return onExit(Number(process.exitCode ?? 0))
    if (Cause.isInterruptedOnly(exit.cause)) return onExit(ExitCode.interrupted)
    process.stderr.write(`ERROR: ${Cause.pretty(exit.cause)}\n`)
    onExit(ExitCode.failure)
  }
})
