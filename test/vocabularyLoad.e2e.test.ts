import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it } from "vitest"
import { expectedOf, makeBench, programPrinting } from "./support/bench.js"
import { runCli } from "./support/cli.js"
import { startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"

const probe = fileURLToPath(new URL("./support/vocabularyProbe.cjs", import.meta.url))
const tasks = Array.from({ length: 4 }, (_, i) => ({ id: `t${i}`, description: `Print the number ${i}.`, expected_output: String(i) }))

let server: FakeServer | undefined
afterEach(async () => void (await server?.close()))

describe("the tokenizers' vocabularies, a second or so of CPU during which nothing else runs", () => {
  it("load before the first model request is made, not among the first requests or replies", async () => {
    server = await startFakeAnthropic((request) => ({ text: programPrinting("ilo", expectedOf(request.body)), inputTokens: 100, outputTokens: 10 }))
    const bench = makeBench(tasks)
    const noted = join(bench.dir, "vocabulary-load.json")
    const result = await runCli(bench.args("--model", "haiku", "--concurrency", "4"), {
      env: { ANTHROPIC_API_KEY: "sk-test-not-a-secret", ANTHROPIC_BASE_URL: server.url, NODE_OPTIONS: `--require ${JSON.stringify(probe)}`, VOCABULARY_PROBE: noted }
    })
    expect(result.code).toBe(0)
    expect(bench.reports()[0].results.map((r: any) => r.final_outcome)).toEqual(["working", "working", "working", "working"])
    // A load that starts after the requests are made holds back their writes (a timer of 50 ms did:
    // 4 started, 0 written); one left to the first program counted waits for a reply (1 answered).
    expect(JSON.parse(readFileSync(noted, "utf8"))).toEqual({ started: 0, written: 0, answered: 0 })
  }, 60_000)
})
