import { Options } from "@effect/cli"
import { Effect } from "effect"
import { chooseSandbox, DEFAULT_LIMITS, type SandboxMode } from "../services/ProgramRunner.js"
import { choice, defaulting } from "./optionHelpers.js"

const MIB = 1024 ** 2

/** `run`'s flags for the sandbox its programs run in (README: "The sandbox"). */
export const sandboxOptions = {
  sandbox: choice("sandbox", ["auto", "bwrap", "none"]).pipe(
    Options.withDescription(
      "Where programs run: bwrap (bubblewrap: no network, no view of your files or other processes, limits), none, or auto: bwrap where it runs, else none with a warning."
    ),
    defaulting("auto")
  ),
  sandboxMemoryMb: Options.integer("sandbox-memory-mb").pipe(
    Options.withDescription("With the sandbox: memory (data) each program process may use, in MiB."),
    defaulting(DEFAULT_LIMITS.memoryBytes / MIB)
  ),
  sandboxProcesses: Options.integer("sandbox-processes").pipe(
    Options.withDescription("With the sandbox: processes (and threads) a program may have at once."),
    defaulting(DEFAULT_LIMITS.processes)
  ),
  sandboxFileMb: Options.integer("sandbox-file-mb").pipe(
    Options.withDescription("With the sandbox: the largest file a program may write, and the size of its work directory and of its /tmp, in MiB."),
    defaulting(DEFAULT_LIMITS.fileBytes / MIB)
  )
}

interface SandboxFlags {
  readonly sandbox: SandboxMode
  readonly sandboxMemoryMb: number
  readonly sandboxProcesses: number
  readonly sandboxFileMb: number
}

/** The sandbox the flags (checked by RunFlags) choose: bwrap probed; `auto` warns once if it falls back. */
export const sandboxFromFlags = (o: SandboxFlags) =>
  Effect.suspend(() =>
    chooseSandbox(o.sandbox, {
      memoryBytes: o.sandboxMemoryMb * MIB,
      processes: o.sandboxProcesses,
      fileBytes: o.sandboxFileMb * MIB
    })
  )
