import { describe, expect, it } from "vitest"
import { languageOf, makeBench, programPrinting } from "./support/bench.js"
import { runCli } from "./support/cli.js"
import { startFakeAnthropic } from "./support/fakeAnthropic.js"
import { closedAfterEach } from "./support/scriptedServer.js"

const servers = closedAfterEach()

const tasks = [{ id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" }]

describe("run --thinking-budget", () => {
  it("asks Anthropic for extended thinking and records thinking tokens apart from the program's", async () => {
    const bench = makeBench(tasks)
    const server = await startFakeAnthropic((req) => ({ text: programPrinting(languageOf(req), "55"), outputTokens: 700, thinkingTokens: 640 }))
    servers.push(server)
    const result = await runCli(bench.args("--model", "sonnet", "--thinking-budget", "2048", "--max-tokens", "4096"), {
      env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url }
    })
    expect(result.code).toBe(0)
    expect(server.requests[0]!.body).toMatchObject({ max_tokens: 4096, thinking: { type: "enabled", budget_tokens: 2048 } })
    expect(server.requests[0]!.body.temperature).toBeUndefined()
    const [report] = bench.reports()
    expect(report.config.thinking_budget).toBe(2048)
    // The thinking block is not part of the program.
    expect(report.results[0]).toMatchObject({ final_outcome: "working", generation_tokens: 700, reasoning_tokens: 640 })
    expect(report.results[0].attempts[0]).toMatchObject({ output_tokens: 700, reasoning_tokens: 640, program: "echo '55'" })
  })

  it("refuses a budget the API would reject, or a provider without it", async () => {
    const bench = makeBench(tasks)
    const env = { ANTHROPIC_API_KEY: "k" }
    const small = await runCli(bench.args("--thinking-budget", "500"), { env })
    expect(small.code).toBe(2)
    expect(small.stderr).toContain("--thinking-budget: must be at least 1024 and below --max-tokens (1024), got 500")
    const openai = await runCli(bench.args("--provider", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9/v1", "--thinking-budget", "2048", "--max-tokens", "4096"))
    expect(openai.code).toBe(2)
    expect(openai.stderr).toContain("--thinking-budget: extended thinking is an Anthropic feature")
  })
})
