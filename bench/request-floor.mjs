// What one model request costs on its own, with no harness around it: the CPU of this process per
// request, after a warm-up, sending the harness's kind of request to the same scripted server.
//   sdk:  through @anthropic-ai/sdk with the harness's own fetch (src/providers/nodeFetch.ts,
//         bundled by the caller to FETCH_MODULE), retries and telemetry off as in the provider;
//   http: one node:http POST with a keep-alive agent, the body read whole and parsed: a floor for
//         any harness on Node, whatever its SDK.
// Usage: node bench/request-floor.mjs OUT.json URL REQUESTS CONCURRENCY DOC_CHARS sdk|http [FETCH_MODULE]
import { writeFileSync } from "node:fs"
import { Agent } from "node:http"
import { postJson } from "./post-json.mjs"

const [out, url, requestsText, concurrencyText, docCharsText, mode, fetchModule] = process.argv.slice(2)
const requests = Number(requestsText)
const concurrency = Number(concurrencyText)
const docs = "x".repeat(Number(docCharsText))

const params = (i) => ({
  model: "claude-haiku-4-5",
  max_tokens: 2048,
  system: [
    { type: "text", text: "You are an ilo programming language expert. Write the program." },
    { type: "text", text: docs, cache_control: { type: "ephemeral" } }
  ],
  messages: [{ role: "user", content: `Task: Print the number ${i}.\n\nExpected output: ${i}\n` }]
})

let send
if (mode === "sdk") {
  const { default: Anthropic } = await import("@anthropic-ai/sdk")
  const { makeNodeFetch } = await import(fetchModule)
  const client = new Anthropic({
    apiKey: "sk-bench-not-a-secret",
    baseURL: url,
    maxRetries: 0,
    fetch: makeNodeFetch(),
    openTelemetry: { traces: false, propagation: false },
    timeout: 24 * 60 * 60 * 1000
  })
  send = (i) => client.messages.create(params(i), { timeout: 120_000 })
} else {
  const agent = new Agent({ keepAlive: true })
  const target = new URL("/v1/messages", url)
  send = (i) => postJson(agent, target, JSON.stringify(params(i)))
}

const drive = async (count) => {
  let next = 0
  const worker = async () => {
    while (next < count) await send(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

await drive(50) // warm-up: connections made, code compiled
const before = process.cpuUsage()
await drive(requests)
const used = process.cpuUsage(before)
writeFileSync(out, JSON.stringify({ mode, requests, cpu_ms_per_request: (used.user + used.system) / 1000 / requests }))
