import { ParseResult } from "effect"

/** The first thing wrong with a decoded value, in one short line: "field 'a.b' is missing". */
export const firstIssue = (error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return "does not match the schema"
  return `${issue.path.length > 0 ? `field '${issue.path.join(".")}'` : "value"} ${issue.message}`
}
