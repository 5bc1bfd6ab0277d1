import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Logger } from "effect"
import { callModel } from "../src/loop/Policy.js"
import { layer as OpenAiLlm, isLocalUrl, toReply } from "../src/providers/OpenAi.js"
import type { LlmError, LlmRequest } from "../src/services/Llm.js"
import { languageOf, makeBench, programPrinting } from "./support/bench.js"
import { runCli } from "./support/cli.js"
import { startFakeOpenAi, type OpenAiReply } from "./support/fakeOpenAi.js"
import { closedAfterEach } from "./support/scriptedServer.js"

const servers = closedAfterEach()
const serve = async (script: Parameters<typeof startFakeOpenAi>[0]) => {
  const server = await startFakeOpenAi(script)
  servers.push(server)
  return server
}

const request = (partial: Partial<LlmRequest> = {}): LlmRequest => ({
  model: "llama3.2",
  system: [{ text: "You write programs." }],
  messages: [{ role: "user", content: "Print 55." }],
  maxTokens: 256,
  timeout: Duration.seconds(5),
  ...partial
})

const fastPolicy = { retries: 3, baseDelay: Duration.millis(5), maxDelay: Duration.seconds(2) }

/** One model call through the provider against a scripted server, with every failure it retried. */
const callWith = (script: Parameters<typeof startFakeOpenAi>[0]) =>
  Effect.gen(function* () {
    const server = yield* Effect.promise(() => serve(script))
    const failures: Array<LlmError> = []
    const reply = yield* callModel(request(), fastPolicy, (e) => Effect.sync(() => failures.push(e))).pipe(
      Effect.provide(OpenAiLlm({ baseUrl: server.url }))
    )
    return { server, failures, reply }
  })

describe("OpenAI-compatible provider", () => {
  it.live("normalises usage: cached prompt tokens apart from input, reasoning inside output and recorded", () =>
    Effect.gen(function* () {
      const server = yield* Effect.promise(() =>
        serve(() => ({ text: "print(55)", promptTokens: 1200, cachedTokens: 1000, completionTokens: 90, reasoningTokens: 60 }))
      )
      const reply = yield* callModel(request({ temperature: 0.2 }), fastPolicy, () => Effect.void).pipe(
        Effect.provide(OpenAiLlm({ baseUrl: server.url }))
      )
      expect(reply.usage).toEqual({ input: 200, cacheWrite: 0, cacheRead: 1000, output: 90, reasoning: 60 })
      expect(reply.text).toBe("print(55)")
      expect(reply.model).toBe("llama3.2")
      const body = server.requests[0]!.body
      expect(server.requests[0]!.path).toBe("/v1/chat/completions")
      expect(body.messages).toEqual([
        { role: "system", content: "You write programs." },
        { role: "user", content: "Print 55." }
      ])
      // A local server gets max_tokens; temperature goes through.
      expect(body).toMatchObject({ model: "llama3.2", max_tokens: 256, temperature: 0.2 })
    }))

  it.live("a 200 with no choice (an error object, an empty list, a proxy's page) is a server error, retried, not a crash", () =>
    Effect.gen(function* () {
      const script = (_: unknown, n: number): OpenAiReply =>
        n === 0
          ? { status: 200, body: { error: { message: "model not loaded" } } }
          : n === 1
            ? { status: 200, body: { id: "x", object: "chat.completion", model: "m", choices: [] } }
            : n === 2
              ? { status: 200, headers: { "content-type": "text/html" }, body: "<html>oops</html>" }
              : { text: "ok" }
      const { failures, reply } = yield* callWith(script)
      expect(reply.text).toBe("ok")
      expect(failures.map((f) => [f.kind, f.status])).toEqual([
        ["server", null],
        ["server", null],
        ["server", null]
      ])
      expect(failures[0]!.message).toContain("model not loaded")
    }))

  it.live("a base URL with a user and password in it still reaches the server (Node's own fetch refuses such a URL)", () =>
    Effect.gen(function* () {
      const server = yield* Effect.promise(() => serve(() => ({ text: "ok" })))
      const reply = yield* callModel(request(), { ...fastPolicy, retries: 0 }, () => Effect.void).pipe(
        Effect.provide(OpenAiLlm({ baseUrl: server.url.replace("http://", "http://bob:secret@") }))
      )
      expect(reply.text).toBe("ok")
    }))

  it.live("a base URL with a query keeps the endpoint's path, and sends the query with every request", () =>
    Effect.gen(function* () {
      const server = yield* Effect.promise(() => serve(() => ({ text: "ok" })))
      const reply = yield* callModel(request(), { ...fastPolicy, retries: 0 }, () => Effect.void).pipe(
        Effect.provide(OpenAiLlm({ baseUrl: `${server.url}?api-version=2024-06-01` }))
      )
      expect(reply.text).toBe("ok")
      expect(server.requests[0]!.path).toMatch(/\/chat\/completions\?api-version=2024-06-01$/)
    }))

  it.live("a reply without usage says so once; more cached tokens than prompt tokens count as the prompt's", () =>
    Effect.gen(function* () {
      const warnings: Array<string> = []
      const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void warnings.push(String(message))))
      const bare = JSON.stringify({ id: "c1", object: "chat.completion", model: "m", choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] })
      const server = yield* Effect.promise(() => serve(() => ({ status: 200, raw: bare })))
      const replies = yield* Effect.all([1, 2].map(() => callModel(request(), fastPolicy, () => Effect.void))).pipe(
        Effect.provide(OpenAiLlm({ baseUrl: server.url })),
        Effect.provide(logger)
      )
      for (const reply of replies) expect(reply.usage).toMatchObject({ input: 0, cacheRead: 0, output: 0 })
      expect(warnings.filter((w) => w.includes("carry no token usage"))).toHaveLength(1)
      // A usage object without prompt or completion counts is as good as none.
      const empty = toReply({ id: "c3", object: "chat.completion", model: "m", created: 0, choices: [], usage: { total_tokens: 0 } } as any, null)
      expect(empty.usage).toMatchObject({ input: 0, output: 0, unreported: true })
      const over = toReply({ id: "c2", object: "chat.completion", model: "m", created: 0, choices: [], usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_tokens_details: { cached_tokens: 400 } } } as any, null)
      expect(over.usage).toMatchObject({ input: 0, cacheRead: 100 })
    }))

  it.live("a reply cut at the limit (finish_reason length) counts as max_tokens", () =>
    Effect.gen(function* () {
      const server = yield* Effect.promise(() => serve(() => ({ text: "print(", finishReason: "length" })))
      const reply = yield* callModel(request(), fastPolicy, () => Effect.void).pipe(Effect.provide(OpenAiLlm({ baseUrl: server.url })))
      expect(reply.stopReason).toBe("max_tokens")
    }))

  it.live("429 with retry-after and 5xx are retried on our schedule (the SDK never retries); retry-after is honoured", () =>
    Effect.gen(function* () {
      const times: Array<number> = []
      const script = (_: unknown, n: number): OpenAiReply => {
        times.push(Date.now())
        return n === 0
          ? { status: 429, headers: { "retry-after": "1" } }
          : n === 1
            ? { status: 503 }
            : n === 2
              ? { status: 500 }
              : { text: "ok" }
      }
      const { server, failures, reply } = yield* callWith(script)
      expect(reply.text).toBe("ok")
      expect(server.requests).toHaveLength(4)
      expect(failures.map((f) => [f.kind, f.status, f.requestId])).toEqual([
        ["rate_limit", 429, "req_0"],
        ["overloaded", 503, "req_1"],
        ["server", 500, "req_2"]
      ])
      expect(failures[0]!.retryAfterMs).toBe(1000)
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950)
    }))

  it.live("a 400 or 401 is not retried", () =>
    Effect.gen(function* () {
      const server = yield* Effect.promise(() => serve(() => ({ status: 401 })))
      const error = yield* callModel(request(), fastPolicy, () => Effect.void).pipe(
        Effect.provide(OpenAiLlm({ baseUrl: server.url })),
        Effect.flip
      )
      expect(error).toMatchObject({ kind: "auth", status: 401 })
      expect(server.requests).toHaveLength(1)
    }))

  it.live("a request that hangs is abandoned at the timeout (its connection closed) and retried", () =>
    Effect.gen(function* () {
      let closed = false
      const server = yield* Effect.promise(() => serve((_, n) => (n === 0 ? { hang: true } : { text: "late but fine" })))
      const reply = yield* callModel(request({ timeout: Duration.millis(300) }), fastPolicy, () => Effect.void).pipe(
        Effect.provide(OpenAiLlm({ baseUrl: server.url }))
      )
      closed = server.requests.length === 2
      expect(reply.text).toBe("late but fine")
      expect(closed).toBe(true)
    }))

  it("knows which base URLs are local servers", () => {
    expect(isLocalUrl("http://localhost:11434/v1")).toBe(true)
    expect(isLocalUrl("http://127.0.0.1:8000/v1")).toBe(true)
    expect(isLocalUrl("http://192.168.1.20:8080/v1")).toBe(true)
    expect(isLocalUrl("https://api.openai.com/v1")).toBe(false)
    expect(isLocalUrl("not a url")).toBe(false)
  })
})

describe("run --provider openai", () => {
  const tasks = [{ id: "fib", description: "Print the 10th Fibonacci number.", expected_output: "55" }]

  it("runs the benchmark against a local OpenAI-compatible server with no key, with the same accounting", async () => {
    const bench = makeBench(tasks)
    const server = await serve((req, n) => ({
      // The first ilo attempt is wrong, so a repair is sent and counted.
      text: languageOf(req) === "ilo" && n === 0 ? "echo 54" : programPrinting(languageOf(req), "55"),
      promptTokens: 500,
      cachedTokens: 300,
      completionTokens: 40,
      reasoningTokens: 15
    }))
    const result = await runCli(bench.args("--provider", "openai", "--model", "qwen2.5-coder", "--base-url", server.url, "--python", "--concurrency", "1"))
    expect(result.stderr).not.toContain("ERROR")
    expect(result.code).toBe(0)
    const [report] = bench.reports()
    expect(report.config).toMatchObject({ provider: "openai", base_url: server.url, models: [{ key: "qwen2.5-coder", id: "qwen2.5-coder" }] })
    const ilo = report.results.find((r: any) => r.language === "ilo")
    expect(ilo).toMatchObject({
      provider: "openai",
      final_outcome: "working",
      attempts_total: 2,
      generation_tokens: 80,
      input_tokens: 1000,
      input_cache_hit_tokens: 600,
      input_cache_miss_tokens: 400,
      reasoning_tokens: 30,
      repair_tokens_by_turn: [40]
    })
    expect(ilo.attempts[0]).toMatchObject({ input_tokens: 200, cache_read_tokens: 300, output_tokens: 40, reasoning_tokens: 15 })
    expect(report.results.find((r: any) => r.language === "python")).toMatchObject({ final_outcome: "working", attempts_total: 1 })
    // No key in the environment: none was sent as a real credential.
    expect(String(server.requests[0]!.headers.authorization ?? "")).not.toMatch(/sk-/)
  })

  it("--model dsflash is DeepSeek's flash model, priced: cache hit and miss fields are read, no reasoning split is unknown, a chatty reply runs its one program", async () => {
    const bench = makeBench(tasks)
    const server = await serve((req) => ({
      // What DeepSeek sends: its own cache fields beside prompt_tokens, no completion_tokens_details.
      text: `Here is the program:\n\`\`\`${languageOf(req)}\n${programPrinting(languageOf(req), "55")}\n\`\`\`\nIt prints 55.`,
      usage: { prompt_tokens: 1000, completion_tokens: 50, total_tokens: 1050, prompt_cache_hit_tokens: 800, prompt_cache_miss_tokens: 200 }
    }))
    const result = await runCli(
      bench.args("--provider", "openai", "--model", "dsflash", "--base-url", server.url, "--python", "--max-cost", "1"),
      { env: { OPENAI_API_KEY: "test-key" } }
    )
    expect(result.stderr).not.toContain("ERROR")
    expect(result.stderr).not.toContain("no list price")
    expect(result.code).toBe(0)
    expect(server.requests[0]!.body.model).toBe("deepseek-flash")
    const [report] = bench.reports()
    expect(report.config.models).toEqual([{ key: "dsflash", id: "deepseek-flash" }])
    expect(report.config.prices["deepseek-flash"]).toEqual({ input: 0.3, output: 1.2, cacheWrite: 0.3, cacheRead: 0.006 })
    const python = report.results.find((r: any) => r.language === "python")
    expect(python).toMatchObject({ final_outcome: "working", input_cache_hit_tokens: 800, input_cache_miss_tokens: 200, reasoning_tokens: null })
    expect(python.attempts[0]).toMatchObject({ cache_read_tokens: 800, input_tokens: 200, reasoning_tokens: null, program: 'print("55")' })
    expect(python.attempts[0].dropped).toBe("Here is the program:\nIt prints 55.")
    // 200 x $0.30 + 800 x $0.006 + 50 x $1.20, per million.
    expect(python.cost_usd).toBeCloseTo((200 * 0.3 + 800 * 0.006 + 50 * 1.2) / 1e6, 10)
    expect(bench.markdown()[0]).toContain("Reasoning tokens: unknown")
  })

  it("a priced model whose server sends no usage costs unknown (null, n/a), never $0", async () => {
    const bench = makeBench(tasks)
    const server = await serve((req) => ({
      status: 200,
      raw: JSON.stringify({
        id: "c1",
        object: "chat.completion",
        model: "deepseek-flash",
        choices: [{ index: 0, message: { role: "assistant", content: programPrinting(languageOf(req), "55") }, finish_reason: "stop" }]
      })
    }))
    const result = await runCli(bench.args("--provider", "openai", "--model", "dsflash", "--base-url", server.url), { env: { OPENAI_API_KEY: "test-key" } })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("carry no token usage")
    const [report] = bench.reports()
    const ilo = report.results.find((r: any) => r.language === "ilo")
    expect(ilo).toMatchObject({ final_outcome: "working", input_tokens: 0, generation_tokens: 0, cost_usd: null, cache_savings_usd: null })
    expect(ilo.attempts[0].cost_usd).toBeNull()
    expect(result.stdout).toMatch(/all\s+all\s+1 .*n\/a/)
    expect(result.stdout).not.toContain("$0.0000")
  })

  it("needs OPENAI_API_KEY for a remote server, and a model id", async () => {
    const bench = makeBench(tasks)
    const remote = await runCli(bench.args("--provider", "openai", "--model", "gpt-4o-mini", "--base-url", "https://api.example.com/v1"))
    expect(remote.code).toBe(2)
    expect(remote.stderr).toContain("OPENAI_API_KEY not set")
    const noModel = await runCli(bench.args("--provider", "openai", "--base-url", "http://127.0.0.1:9/v1"))
    expect(noModel.code).toBe(2)
    expect(noModel.stderr).toContain("--model: name the model to use with --provider openai")
  })

  it("passes --temperature to openai and refuses it for anthropic in one line", async () => {
    const bench = makeBench(tasks)
    const server = await serve((req) => ({ text: programPrinting(languageOf(req), "55") }))
    const ok = await runCli(bench.args("--provider", "openai", "--model", "m", "--base-url", server.url, "--temperature", "0.7"))
    expect(ok.code).toBe(0)
    expect(server.requests[0]!.body.temperature).toBe(0.7)
    const refused = await runCli(bench.args("--temperature", "0.7"), { env: { ANTHROPIC_API_KEY: "test-key" } })
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split("\n")).toHaveLength(1)
    expect(refused.stderr).toContain("--temperature: not sent to anthropic")
  })
})
