import { describe, expect, it } from "vitest"
import { attemptInputBounds, CHARS_PER_TOKEN } from "../src/commands/dryRun.js"
import { ERROR_DETAIL_CHARS } from "../src/loop/Outcome.js"
import { alignedLayout, seedLayout, type Conversation, type PromptLayout } from "../src/loop/Prompts.js"
import { runCli } from "./support/cli.js"
import { python } from "./support/layers.js"

const task = { id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" }
const context = "(No formal language documentation available for python.)"

/** The bound as the plan defines it: conversations built from a reply max_tokens x 3 characters long. */
const literal = (layout: PromptLayout, retryCap: number, maxTokens: number) => {
  const chars = (c: Conversation) => c.system.reduce((n, b) => n + b.text.length, 0) + c.messages.reduce((n, m) => n + m.content.length, 0)
  const program = "x".repeat(maxTokens * CHARS_PER_TOKEN)
  const error = "x".repeat(ERROR_DETAIL_CHARS)
  let conversation = layout.initial(python, task as any, context)
  const out = [Math.ceil(chars(conversation) / CHARS_PER_TOKEN)]
  for (let k = 2; k <= retryCap; k++) {
    conversation = layout.repair(conversation, python, task as any, context, program, error)
    out.push(Math.ceil(chars(conversation) / CHARS_PER_TOKEN))
  }
  return out
}

describe("the dry run's bound of each attempt's input", () => {
  it("is the same as building every repair from a reply max_tokens long, under both layouts", () => {
    for (const layout of [seedLayout, alignedLayout])
      for (const maxTokens of [1, 7, 1024, 64_000])
        expect(attemptInputBounds(layout, python, task as any, context, 5, maxTokens), `${layout.name} ${maxTokens}`).toEqual(literal(layout, 5, maxTokens))
  })

  it("prints a plan for a very large --max-tokens instead of failing on a string too long to build", async () => {
    const r = await runCli(["run", "--dry-run", "--ilo", "/nonexistent/ilo", "--model", "haiku", "--max-tokens", "1000000000"])
    expect(r.stderr).not.toContain("RangeError")
    expect(r.code, r.stderr).toBe(0)
    const bound = Number(/Cost: +at most \$([\d.,]+) at list prices/.exec(r.stdout)?.[1]?.replace(/,/g, ""))
    // 53 runs x 5 replies of a billion output tokens at $5 per million, at the least.
    expect(bound).toBeGreaterThanOrEqual(53 * 5 * 1e9 * 5 / 1e6)
  }, 60_000)
})
