// Required into the CLI under test (NODE_OPTIONS=--require): as the first tokenizer vocabulary
// starts to load, writes to the file VOCABULARY_PROBE names how many HTTP requests the process had
// started by then, how many it had written to their connections, and how many responses it had received.
const channels = require("node:diagnostics_channel")
const Module = require("node:module")
const { writeFileSync } = require("node:fs")

let started = 0
let written = 0
let answered = 0
channels.subscribe("http.client.request.start", ({ request }) => {
  started++
  if (request.writableFinished) written++
  else request.once("finish", () => written++)
  request.once("response", () => answered++)
})

let noted = false
const load = Module._load
Module._load = function (request, ...rest) {
  if (!noted && process.env.VOCABULARY_PROBE && /^(gpt-tokenizer|llama3-tokenizer-js)\//.test(request)) {
    noted = true
    writeFileSync(process.env.VOCABULARY_PROBE, JSON.stringify({ started, written, answered }))
  }
  return load.call(this, request, ...rest)
}
