import { afterEach, describe, expect, it } from "vitest"
import { Duration, Effect, Either } from "effect"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { layer as AnthropicLlm } from "../src/providers/Anthropic.js"
import { makeNodeFetch, MAX_RESPONSE_BYTES } from "../src/providers/nodeFetch.js"
import { Llm } from "../src/services/Llm.js"
import { startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"

let server: FakeServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe("the SDK's fetch on node:http", () => {
  it("sends method, headers and body, and returns status, headers and body", async () => {
    server = await startFakeAnthropic(() => ({ status: 429, headers: { "retry-after": "7" }, body: { type: "error" } }))
    const fetch = makeNodeFetch()
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [] })
    })
    expect(res.status).toBe(429)
    expect(res.headers.get("retry-after")).toBe("7")
    expect(await res.json()).toEqual({ type: "error" })
    expect(server.requests[0]!.body).toEqual({ model: "m", messages: [] })
    expect(server.requests[0]!.headers["x-api-key"]).toBe("k")
    expect(res.ok).toBe(false)
    expect(res.url).toBe(`${server.url}/v1/messages`)
    // Read once, as a fetch Response is.
    expect(res.bodyUsed).toBe(true)
    await expect(res.text()).rejects.toThrow(/already been read/)
  })

  it("a 2xx reply is ok, and its headers come as a Headers object", async () => {
    server = await startFakeAnthropic(() => ({ status: 200, headers: { "request-id": "req_1" }, body: { ok: 1 } }))
    const res = await makeNodeFetch()(`${server.url}/v1/messages`, { method: "POST", headers: new Headers({ a: "b" }), body: "{}" })
    expect(res.ok).toBe(true)
    expect(res.headers.get("request-id")).toBe("req_1")
    expect([...res.headers.entries()].some(([name]) => name === "content-type")).toBe(true)
    expect(await res.text()).toBe('{"ok":1}')
    expect(server.requests[0]!.headers["a"]).toBe("b")
  })

  it("an abort rejects with an AbortError and drops the request", async () => {
    server = await startFakeAnthropic(() => ({ hang: true }))
    const fetch = makeNodeFetch()
    const controller = new AbortController()
    const pending = fetch(`${server.url}/v1/messages`, { method: "POST", body: "{}", signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(pending).rejects.toMatchObject({ name: "AbortError" })
  })

  it("a refused connection rejects", async () => {
    const fetch = makeNodeFetch()
    await expect(fetch("http://127.0.0.1:9/v1/messages", { method: "POST", body: "{}" })).rejects.toThrow()
  })

  it("a body larger than the cap (a 700 MB reply) is not read: the request fails once the cap is passed, as a fault of the service", async () => {
    let sent = 0
    const chunk = Buffer.alloc(1 << 20, "a")
    const huge: Server = createServer((_, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(700 * (1 << 20)) })
      const more = () => {
        while (!res.destroyed && sent < 700 * (1 << 20)) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once("drain", more)
        }
      }
      res.on("close", () => res.destroy())
      more()
    })
    await new Promise<void>((resolve) => huge.listen(0, "127.0.0.1", resolve))
    const url = `http://127.0.0.1:${(huge.address() as AddressInfo).port}`
    try {
      await expect(makeNodeFetch(1 << 20)(`${url}/v1/messages`, { method: "POST", body: "{}" })).rejects.toThrow(/larger than 1 MiB/)
      // Through the SDK, at the default cap: one line that says what happened, retried as a 5xx is.
      sent = 0
      const result = await Effect.runPromise(
        Effect.flatMap(Llm, (llm) =>
          llm.complete({ model: "m", system: [], messages: [{ role: "user", content: "hi" }], maxTokens: 10, timeout: Duration.seconds(30) })
        ).pipe(Effect.provide(AnthropicLlm({ apiKey: "sk-test-key", baseUrl: url })), Effect.either)
      )
      expect(Either.isLeft(result) && result.left).toMatchObject({ kind: "server", retryable: true })
      expect(Either.isLeft(result) && result.left.message).toMatch(/larger than 32 MiB/)
      // The server was stopped soon after the cap, far from the 700 MB it had to send.
      expect(sent).toBeGreaterThan(MAX_RESPONSE_BYTES)
      expect(sent).toBeLessThan(MAX_RESPONSE_BYTES + 64 * (1 << 20))
    } finally {
      huge.closeAllConnections()
      await new Promise((resolve) => huge.close(resolve))
    }
  }, 30_000)
})
