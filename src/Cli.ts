import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { compareCommand } from "./commands/compare.js"
import { reportCommand } from "./commands/report.js"
import { runCommand } from "./commands/run.js"
import { schemaCommand } from "./commands/schema.js"
import { tasksCommand } from "./commands/tasks.js"
import { validateCommand } from "./commands/validate.js"
import { HARNESS_VERSION } from "./platform/paths.js"
import { oneLine } from "./report/format.js"
import { choiceFlags } from "./commands/optionHelpers.js"
import { didYouMean } from "./commands/suggest.js"
import { reformatHelp } from "./commands/help.js"

const rootCommand = Command.make("ilo-bench").pipe(
  Command.withDescription("Measures the tokens and money a model spends to get a working program in a language."),
  Command.withSubcommands([runCommand, tasksCommand, reportCommand, compareCommand, schemaCommand, validateCommand])
)

const ansi = /\x1b\[[0-9;]*m/g
const badNumber = /^'(.*)' is not a (integer|float)$/s
const oneOf = /^Expected one of the following cases: (.*)$/s

/**
 * @effect/cli's message for a value outside a flag's choices names neither the flag nor the value:
 * the flag is the one registered with those choices, the value the one it was given.
 */
const choiceLine = (cases: ReadonlyArray<string>, argv: ReadonlyArray<string>) => {
  const flag = choiceFlags.get(cases.join(", "))
  if (flag === undefined) return undefined
  const at = argv.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`))
  const value = at === -1 ? undefined : argv[at]!.startsWith(`${flag}=`) ? argv[at]!.slice(flag.length + 1) : argv[at + 1]
  return `ERROR: ${flag}: ${value === undefined ? "needs a value" : `'${value}' is not`} one of ${cases.join(", ")}${value === undefined ? "" : didYouMean(value, cases)}`
}

/**
 * One line for a parse error of @effect/cli's. Its message for a bad number names no flag
 * ("'abc' is not a integer"); the flag is the one the value follows on the command line.
 */
const parseErrorLine = (message: string, argv: ReadonlyArray<string>) => {
  const text = oneLine(message.replace(ansi, ""), Infinity)
  // A flag given twice is reported as unknown at its second appearance.
  const unknown = /^Received unknown argument: '(--[^=']+)(=[^']*)?'$/.exec(text)
  if (unknown !== null && argv.filter((arg) => arg === unknown[1] || arg.startsWith(`${unknown[1]}=`)).length > 1)
    return `ERROR: ${unknown[1]}: given more than once; give it once`
  const choice = oneOf.exec(text)
  if (choice !== null) return choiceLine(choice[1]!.split(", "), argv) ?? `ERROR: ${text}`
  const bad = badNumber.exec(text)
  if (bad === null) return `ERROR: ${text}`
  const [, value, kind] = bad
  const at = argv.findIndex((arg, i) => (arg.startsWith("--") && argv[i + 1] === value) || arg.endsWith(`=${value}`))
  const flag = at === -1 ? "" : `${argv[at]!.split("=")[0]}: `
  // A whole number too large to hold exactly was refused as if it were not one.
  if (kind === "integer" && /^\+?\d+$/.test(value!.trim()))
    return `ERROR: ${flag}expected a whole number of at most ${Number.MAX_SAFE_INTEGER}, got '${value}'`
  return `ERROR: ${flag}expected ${kind === "integer" ? "a whole number" : "a number"}, got '${value}'`
}

/** Help in colour on a terminal only (and no NO_COLOR set): piped to a file or a pager, escape codes are noise. */
const plainUnlessTerminal = (args: ReadonlyArray<unknown>) =>
  process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === "" ? args : args.map((a) => (typeof a === "string" ? a.replace(ansi, "") : a))

/**
 * The command line. @effect/cli prints its own parse errors (an unknown flag, a bad value) through
 * `Console.error`, over several lines and without a prefix: here each becomes one `ERROR:` line like
 * every other error; its help is plain text unless stdout is a terminal. The commands themselves get
 * the console unchanged.
 */
export const cli = (argv: ReadonlyArray<string>) =>
  Console.consoleWith((console) => {
    const parseErrors: Console.Console = {
      ...console,
      // Help pages are rewritten for people (./commands/help.ts): plain text, 100 columns.
      log: (...args) =>
        typeof args[0] === "string" && args.length === 1 && /\nUSAGE\n/.test(args[0].replace(ansi, ""))
          ? console.log(reformatHelp(args[0].replace(ansi, "")).trimEnd())
          : console.log(...plainUnlessTerminal(args)),
      error: (...args) => console.error(parseErrorLine(args.map(String).join(" "), argv))
    }
    const root = rootCommand.pipe(Command.transformHandler((handler) => Effect.withConsole(handler, console)))
    return Command.run(root, { name: "ilo-bench", version: HARNESS_VERSION })(argv).pipe(Effect.withConsole(parseErrors))
  })
