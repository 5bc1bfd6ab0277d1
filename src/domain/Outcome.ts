import { Schema } from "effect"

/** working: stdout matched; partial: exit 0, wrong stdout; failed: non-zero exit or timeout;
 *  error: the model could not be reached, so the run says nothing about the language. */
export const Outcome = Schema.Literal("working", "partial", "failed", "error")
export type Outcome = typeof Outcome.Type

export const ProgramOutcome = Schema.Literal("working", "partial", "failed")
export type ProgramOutcome = typeof ProgramOutcome.Type
