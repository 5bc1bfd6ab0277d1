import { afterEach, describe, expect, it } from "vitest"
import { expectedOf, scratch, DOCS } from "./support/bench.js"
import { startFakeAnthropic, type FakeServer } from "./support/fakeAnthropic.js"

/** First attempt of every run fails, the repair prints the expected output. */
const failThenFix = (request: { body: any }) =>
  request.body.messages.length === 1 && !String(request.body.messages[0].content).includes("previous")
    ? { text: "exit 3" }
    : { text: `echo ${expectedOf(request.body)}` }

const TASKS = [
  { id: "t1", expected: "11" },
  { id: "t2", expected: "22" },
  { id: "t3", expected: "33" }
]

let server: FakeServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe("prompt layout and the provider's cache", () => {
  it("--align (the default): every request starts with one identical cache-marked prefix, docs sent once", async () => {
    server = await startFakeAnthropic(failThenFix)
    const s = scratch(TASKS)
    const result = await s.run(server.url, ["--concurrency", "2"])
    expect(result.code).toBe(0)
    const bodies = server.requests.map((r) => r.body)
    expect(bodies).toHaveLength(6) // three tasks, two attempts each

    const prefix = JSON.stringify(bodies[0].system)
    for (const body of bodies) expect(JSON.stringify(body.system)).toBe(prefix)
    const system = bodies[0].system as Array<any>
    expect(system.at(-1).cache_control).toEqual({ type: "ephemeral" })
    expect(system.at(-1).text).toContain(DOCS)
    expect(system.slice(0, -1).every((b) => b.cache_control === undefined)).toBe(true)

    for (const body of bodies) {
      expect(JSON.stringify(body).split("stand-in documentation").length - 1).toBe(1)
      expect(body.messages[0].content).toMatch(/^Task: Print \d\d\.\n\nExpected output: \d\d\n$/)
    }
    // A repair continues the conversation: task, the program the model wrote, the error.
    const repair = bodies.find((b) => b.messages.length === 3)
    expect(repair.messages.map((m: any) => m.role)).toEqual(["user", "assistant", "user"])
    expect(repair.messages[1].content).toBe("exit 3")
    expect(repair.messages[2].content).toContain("The previous ilo program for this task failed.\nError / actual output:\n")
    expect(s.report().config.prompt_layout).toBe("aligned")
    // Each run says so too, as the ilo project's later harness writes it.
    expect(s.report().results.map((r: any) => [r.cache_mode, r.align])).toEqual([["warm", true], ["warm", true], ["warm", true]])
  })

  it("--no-align reproduces the seed's layout: plain system string, docs in a rewritten user turn, no cache marks", async () => {
    server = await startFakeAnthropic(failThenFix)
    const s = scratch(TASKS.slice(0, 1))
    const result = await s.run(server.url, ["--no-align"])
    expect(result.code).toBe(0)
    const [first, repair] = server.requests.map((r) => r.body)
    expect(typeof first.system).toBe("string")
    expect(JSON.stringify(server.requests.map((r) => r.body))).not.toContain("cache_control")
    expect(first.messages).toHaveLength(1)
    expect(first.messages[0].content).toMatch(/^Task: Print 11\.\n\nExpected output: 11\n\n---LANGUAGE DOCUMENTATION---\n# ilo-language/)
    expect(repair.messages).toHaveLength(1)
    expect(repair.messages[0].content).toMatch(/^The previous ilo program for this task failed\.\nTask: Print 11\./)
    expect(repair.messages[0].content).toContain("---LANGUAGE DOCUMENTATION---")
    expect(s.report().config.prompt_layout).toBe("seed")
    expect(s.report().results[0]).toMatchObject({ cache_mode: "warm", align: false })
  })

  it("--cache cold puts a fresh nonce at the start of every request, so no two prefixes match", async () => {
    server = await startFakeAnthropic(failThenFix)
    const s = scratch(TASKS.slice(0, 2))
    const result = await s.run(server.url, ["--cache", "cold"])
    expect(result.code).toBe(0)
    const firstBlocks = server.requests.map((r) => r.body.system[0].text as string)
    expect(new Set(firstBlocks).size).toBe(firstBlocks.length)
    for (const text of firstBlocks) expect(text).toMatch(/^\[cache-buster [0-9a-z-]+\]\nYou are an ilo programming language expert\./)
    expect(s.report().config.prompt_cache).toBe("cold")
    expect(s.report().results.map((r: any) => r.cache_mode)).toEqual(["cold", "cold"])
    expect(s.markdown()).toContain("- Prompt layout: aligned; prompt cache: cold; skill modules: ")
  })
})
