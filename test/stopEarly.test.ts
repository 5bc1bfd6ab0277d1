import { mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { unusable } from "../src/providers/StopEarly.js"
import { LlmError } from "../src/services/Llm.js"
import { runCli } from "./support/cli.js"
import { startFakeAnthropic } from "./support/fakeAnthropic.js"
import { startFakeOpenAi } from "./support/fakeOpenAi.js"
import { makeStandInIlo, type StandInIlo } from "./support/standInIlo.js"

const KEY = "sk-ant-test-secret-0123456789"
/** Thirty runs: a benchmark that ran them all to "error" would take far longer than the bound below. */
const TASKS = Array.from({ length: 30 }, (_, i) => ({ id: `t${i}`, description: `Print ${i}.`, expected_output: String(i) }))

/** A loopback port that nothing listens on: bound, read, closed. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

describe("a model endpoint that cannot answer stops the benchmark at once (built CLI, loopback servers)", () => {
  let ilo: StandInIlo
  let dir: string
  let tasks: string
  beforeAll(() => {
    ilo = makeStandInIlo()
    dir = mkdtempSync(join(tmpdir(), "ilo-bench-stop-"))
    tasks = join(dir, "tasks.json")
    writeFileSync(tasks, JSON.stringify({ tasks: TASKS }))
  })
  afterAll(() => undefined)

  const run = (url: string, extra: ReadonlyArray<string> = []) =>
    runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--tasks-file", tasks, "--output-dir", join(dir, "out"), "--api-retries", "6", ...extra], {
      env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: url }
    })

  const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("ERROR"))

  it("a refused key (401): one line naming the URL, the status and the key variable; exit 2; few requests", async () => {
    const server = await startFakeAnthropic(() => ({ status: 401, body: { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } } }))
    try {
      const started = Date.now()
      const r = await run(server.url)
      expect(r.code).toBe(2)
      expect(Date.now() - started).toBeLessThan(15_000)
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^ERROR: the model API at ${server.url.replace(/[./]/g, "\\$&")}/? answered HTTP 401 .*Check ANTHROPIC_API_KEY`))])
      expect(r.stderr).not.toContain(KEY)
      // Not sixty runs to "error": the first refusals stop it.
      expect(server.requests.length).toBeLessThan(12)
      expect(r.stdout).not.toContain("runs succeeded")
    } finally {
      await server.close()
    }
  })

  it("a key with a character an HTTP header cannot carry (pasted with it) is refused before any request: one line, exit 2", async () => {
    const server = await startFakeAnthropic(() => ({ text: "echo 1" }))
    try {
      for (const [key, code] of [[`${KEY}\u200b`, "U+200B"], [`sk-ant\u00a0${KEY}`, "U+00A0"]] as const) {
        const r = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--tasks-file", tasks, "--output-dir", join(dir, "out-paste")], {
          env: { ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: server.url }
        })
        expect(r.code).toBe(2)
        expect(errorLines(r.stderr)).toEqual([`ERROR: ANTHROPIC_API_KEY: has a character an HTTP header cannot carry (${code}, character ${key.indexOf(code === "U+200B" ? "\u200b" : "\u00a0") + 1} of ${key.length}); was something pasted along with the key?`])
        expect(r.stderr).not.toContain(KEY)
      }
      expect(server.requests).toHaveLength(0)
    } finally {
      await server.close()
    }
  })

  it("a forbidden key (403) stops the same way", async () => {
    const server = await startFakeAnthropic(() => ({ status: 403 }))
    try {
      const r = await run(server.url)
      expect(r.code).toBe(2)
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/answered HTTP 403 .*Check ANTHROPIC_API_KEY: the key has no access/)])
    } finally {
      await server.close()
    }
  })

  it("an unknown model (404): one line naming the model and what to check", async () => {
    const server = await startFakeAnthropic(() => ({ status: 404, body: { type: "error", error: { type: "not_found_error", message: "model: claude-haiku-4-5" } } }))
    try {
      const r = await run(server.url)
      expect(r.code).toBe(2)
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/answered HTTP 404 .* for model claude-haiku-4-5; the benchmark stopped at once\. Check --model/)])
    } finally {
      await server.close()
    }
  })

  it("nothing listening at the address (ECONNREFUSED): stops before its retries, naming the errno", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const started = Date.now()
    const r = await run(url)
    expect(r.code).toBe(2)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^ERROR: the model API at http://127\\.0\\.0\\.1:\\d+/? answered ECONNREFUSED .*Check --base-url`))])
    // Nothing was asked or answered: no checkpoint is left behind to take the day's report name.
    const out = join(dir, "refused-out")
    const again = await runCli(["run", "--ilo", ilo.bin, "--model", "haiku", "--tasks-file", tasks, "--output-dir", out], {
      env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: url }
    })
    expect(again.code).toBe(2)
    expect(readdirSync(out)).toEqual([])
  })

  it("the OpenAI-compatible provider stops on a 401 too, naming its key variable", async () => {
    const server = await startFakeOpenAi(() => ({ status: 401 }))
    try {
      const r = await runCli(["run", "--provider", "openai", "--model", "gpt-4o-mini", "--ilo", ilo.bin, "--tasks-file", tasks, "--output-dir", join(dir, "out")], {
        env: { OPENAI_API_KEY: "sk-test-openai-0123456789", OPENAI_BASE_URL: server.url }
      })
      expect(r.code).toBe(2)
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/answered HTTP 401 .*Check OPENAI_API_KEY/)])
    } finally {
      await server.close()
    }
  })
})

describe("which failures make an endpoint unusable", () => {
  const error = (kind: LlmError["kind"], status: number | null, message = "x") => new LlmError({ kind, status, retryAfterMs: null, requestId: null, message })
  it("a refused key always; a 404 or an unreachable address only before any request succeeded; a 5xx or 429 never", () => {
    expect(unusable(error("auth", 401), true, "u", "m", "K")?.what).toMatch(/^HTTP 401/)
    expect(unusable(error("request", 404), false, "u", "m", "K")?.check).toMatch(/--model/)
    expect(unusable(error("request", 404), true, "u", "m", "K")).toBeUndefined()
    expect(unusable(error("connection", null, "Connection error. (ENOTFOUND)"), false, "u", "m", "K")?.what).toBe("ENOTFOUND")
    expect(unusable(error("connection", null, "Connection error. (ENOTFOUND)"), true, "u", "m", "K")).toBeUndefined()
    expect(unusable(error("server", 500), false, "u", "m", "K")).toBeUndefined()
    expect(unusable(error("rate_limit", 429), false, "u", "m", "K")).toBeUndefined()
    expect(unusable(error("request", 400), false, "u", "m", "K")).toBeUndefined()
  })
})
