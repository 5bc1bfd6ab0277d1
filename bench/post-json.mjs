// One Messages request as a bare client sends it: a JSON body POSTed over a keep-alive agent, the
// reply parsed. The floors of the harness benchmark (floor-client.mjs, request-floor.mjs) share it.
import { request } from "node:http"

export const postJson = (agent, target, body) =>
  new Promise((resolve, reject) => {
    const req = request(target, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "x-api-key": "sk-bench-not-a-secret", "anthropic-version": "2023-06-01" }
    })
    req.on("error", reject)
    req.on("response", (res) => {
      const chunks = []
      res.on("data", (c) => chunks.push(c))
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))))
    })
    req.end(body)
  })
