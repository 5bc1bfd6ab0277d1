import { afterEach, describe, expect, it } from "vitest"
import { makeNodeFetch } from "../src/providers/nodeFetch.js"
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
})
