import { Command } from "@effect/cli"
import { compareCommand } from "./commands/compare.js"
import { reportCommand } from "./commands/report.js"
import { runCommand } from "./commands/run.js"
import { tasksCommand } from "./commands/tasks.js"
import { HARNESS_VERSION } from "./paths.js"

export const rootCommand = Command.make("ilo-bench").pipe(
  Command.withDescription("Measures the tokens and money a model spends to get a working program in a language."),
  Command.withSubcommands([runCommand, tasksCommand, reportCommand, compareCommand])
)

export const cli = Command.run(rootCommand, { name: "ilo-bench", version: HARNESS_VERSION })
