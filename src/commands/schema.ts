import { Command } from "@effect/cli"
import { Console, JSONSchema } from "effect"
import { ReportFile } from "../domain/ReportFile.js"

/** Prints the JSON Schema of the JSON report, made from the same Schema that validate decodes with. */
export const schemaCommand = Command.make("schema", {}, () =>
  Console.log(JSON.stringify(JSONSchema.make(ReportFile), null, 2))
).pipe(Command.withDescription("Print the JSON Schema of the result file (the JSON report), from the definitions the program decodes with."))

