import { Either } from "effect"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { describe, expect, it } from "vitest"
import { parseCheckpoint } from "../src/services/Checkpoint.js"
import { loadSigningKey, signature } from "../src/platform/checkpointKeys.js"
import { runCli, type CliResult } from "./support/cli.js"
import { lastUserText, startFakeAnthropic } from "./support/fakeAnthropic.js"
import { makeStandInIlo } from "./support/standInIlo.js"
import { closedAfterEach, type Fault } from "./support/scriptedServer.js"

const TASKS = 8

/**
 * A benchmark of TASKS tasks in ilo (the stand-in) with one model, against a scripted server that
 * answers slowly but right. Each program takes 0.4 s and one runs at a time, so replies queue up for
 * the program slot: at any moment some runs have their reply but have not finished.
 */
const CONCURRENCY = 2
const setup = async (delayMs: number, hold: (expected: string) => boolean = () => false, refuse: (expected: string) => Fault | undefined = () => undefined) => {
  const dir = mkdtempSync(join(tmpdir(), "ilo-bench-e2e-"))
  const tasksFile = join(dir, "tasks.json")
  writeFileSync(
    tasksFile,
    JSON.stringify({ tasks: Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, description: `Print ${i}.`, expected_output: String(i) })) })
  )
  const ilo = makeStandInIlo()
  const server = await startFakeAnthropic((request) => {
    const expected = /Expected output: (.*)\n/.exec(lastUserText(request))?.[1] ?? "?"
    // A held request is never answered: the benchmark is interrupted while it is in flight.
    return hold(expected) ? { hang: true } : (refuse(expected) ?? { text: `-- run: main\nsleep 0.4\necho ${expected}`, delayMs })
  })
  servers.push(server)
  const outDir = join(dir, "out")
  const args = ["run", "--ilo", ilo.bin, "--tasks-file", tasksFile, "--model", "haiku", "--concurrency", String(CONCURRENCY), "--program-concurrency", "1", "--output-dir", outDir]
  const env = { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url }
  return { server, outDir, args, env }
}

const servers = closedAfterEach()

const until = async (condition: () => boolean, what: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const checkpointIn = (outDir: string) => {
  const name = existsSync(outDir) ? readdirSync(outDir).find((f) => f.endsWith(".jsonl")) : undefined
  return name === undefined ? undefined : join(outDir, name)
}
const runLines = (file: string | undefined) =>
  file === undefined ? 0 : readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith('{"type":"run"')).length
const readCheckpoint = (file: string) => Either.getOrThrow(parseCheckpoint(file, readFileSync(file, "utf8")))
/** What a checkpoint holds: runs finished, runs with only their reply (each run here needs one), and both together. */
const progressOf = (file: string) => {
  const saved = readCheckpoint(file)
  const finished = new Set(saved.runs.map((r) => r.task))
  const answered = new Set([...finished, ...saved.replies.map((r) => r.task)])
  return { finished: finished.size, continued: answered.size - finished.size, answered: answered.size }
}
/**
 * The checkpoint as an ilo-bench from before "asked" lines would have written it: those lines left
 * out, the others signed again in a chain of their own (a line taken out breaks the chain after it).
 */
const withoutAskedLines = (file: string, to: string) => {
  const [first, ...rest] = readFileSync(file, "utf8").split("\n").filter((l) => l !== "")
  const key = loadSigningKey(JSON.parse(first!).signing_key)!
  const signed = /,"mac":"([0-9a-f]{64})"\}$/
  let last = signed.exec(first!)![1]!
  const lines = [first!]
  for (const line of rest) {
    const found = signed.exec(line)!
    const text = line.slice(0, found.index) + "}"
    if (JSON.parse(text).type === "asked") continue
    last = signature(key.key, last, text)
    lines.push(`${text.slice(0, -1)},"mac":"${last}"}`)
  }
  writeFileSync(to, lines.join("\n") + "\n")
}
const jsonReport = (checkpoint: string) => JSON.parse(readFileSync(checkpoint.replace(/\.jsonl$/, ".json"), "utf8"))

/**
 * Resumes, and checks what every resume must give: each run exactly once, in the seed's order, no
 * reply that had landed asked for again, so that in all the model was asked at most the requests in
 * flight at the interrupt more than an uninterrupted benchmark would have asked it.
 */
const resumeAndCheck = async (s: Awaited<ReturnType<typeof setup>>, checkpoint: string) => {
  const before = progressOf(checkpoint)
  const callsBefore = s.server.requests.length
  // Asked and lost: only the requests in flight, never a reply that had landed.
  expect(callsBefore - before.answered).toBeLessThanOrEqual(CONCURRENCY)
  const resumed: CliResult = await runCli([...s.args, "--resume", checkpoint], { env: s.env })
  const n = before.continued
  const continuing = n === 0 ? "." : ` (${n} ${n === 1 ? "continues" : "continue"} from ${n} recorded ${n === 1 ? "reply" : "replies"}).`
  expect(resumed.stderr).toContain(
    `Resuming ${checkpoint}: ${before.finished} of ${TASKS} runs already finished, ${TASKS - before.finished} to run${continuing}`
  )
  expect(resumed.code).toBe(0)
  // One model call per run that had no reply yet (each works first time); none for a run that had one.
  expect(s.server.requests.length - callsBefore).toBe(TASKS - before.answered)
  expect(s.server.requests.length).toBeLessThanOrEqual(TASKS + CONCURRENCY)
  const report = jsonReport(checkpoint)
  expect(report.complete).toBe(true)
  expect(report.results.map((r: { task: string }) => r.task)).toEqual(Array.from({ length: TASKS }, (_, i) => `t${i}`))
  expect(report.results.every((r: { final_outcome: string }) => r.final_outcome === "working")).toBe(true)
  expect(readCheckpoint(checkpoint).runs).toHaveLength(TASKS)
  expect(resumed.stdout).toContain(`${TASKS}/${TASKS} runs succeeded.`)
  return before
}

describe("ilo-bench run: interrupt, crash and --resume (end to end)", () => {
  it("SIGINT mid-run exits 130 with partial reports and the checkpoint; the resume finishes every run exactly once", async () => {
    const s = await setup(300)
    let pid = 0
    const running = runCli(s.args, { env: s.env, onSpawn: (p) => (pid = p) })
    await until(() => runLines(checkpointIn(s.outDir)) >= 2, "two finished runs")
    process.kill(pid, "SIGINT")
    const interrupted = await running

    expect(interrupted.code).toBe(130)
    const checkpoint = checkpointIn(s.outDir)!
    const saved = readCheckpoint(checkpoint)
    expect(saved.header.config.retry_cap).toBe(5)
    expect(saved.runs.length).toBeGreaterThanOrEqual(2)
    expect(saved.runs.length).toBeLessThan(TASKS)
    expect(saved.tornLine).toBeNull()
    const partial = jsonReport(checkpoint)
    expect(partial.complete).toBe(false)
    expect(partial.results).toHaveLength(saved.runs.length)
    expect(readFileSync(checkpoint.replace(/\.jsonl$/, ".md"), "utf8")).toContain("**Partial run**")
    expect(interrupted.stderr).toContain(`Interrupted: ${saved.runs.length} of ${TASKS} runs finished and are saved in ${checkpoint}.`)
    expect(interrupted.stderr).toContain(`--resume ${checkpoint}`)
    // Runs whose program was stopped keep their reply, and the resume continues them from it.
    const { continued } = await resumeAndCheck(s, checkpoint)
    expect(continued).toBeGreaterThanOrEqual(1)
  })

  it("kill -9 mid-run loses at most the requests in flight; the resume continues the runs from their replies and finishes the rest", async () => {
    const s = await setup(300)
    let pid = 0
    const running = runCli(s.args, { env: s.env, onSpawn: (p) => (pid = p) })
    await until(() => runLines(checkpointIn(s.outDir)) >= 3, "three finished runs")
    process.kill(pid, "SIGKILL")
    const killed = await running
    expect(killed.signal).toBe("SIGKILL")

    const checkpoint = checkpointIn(s.outDir)!
    expect(readCheckpoint(checkpoint).runs.length).toBeGreaterThanOrEqual(3)
    const { continued } = await resumeAndCheck(s, checkpoint)
    expect(continued).toBeGreaterThanOrEqual(1)
  })

  it("a request in flight at Ctrl-C is billed but never answered: the partial report, the resume and `report` count it; a checkpoint without such lines reports none", async () => {
    // t6 and t7 (the last two runs, so every other run finishes first) are held while in flight.
    let holding = true
    const s = await setup(0, (expected) => holding && (expected === "6" || expected === "7"))
    let pid = 0
    const running = runCli(s.args, { env: s.env, onSpawn: (p) => (pid = p) })
    await until(() => runLines(checkpointIn(s.outDir)) >= TASKS - 2 && s.server.requests.length >= TASKS, "every run finished but the two held")
    process.kill(pid, "SIGINT")
    const interrupted = await running
    expect(interrupted.code).toBe(130)
    const checkpoint = checkpointIn(s.outDir)!
    expect(readCheckpoint(checkpoint).unanswered).toBe(2)
    const counted = "Billing unknown: 2 model request(s) were sent but interrupted before their reply was recorded"
    // The partial reports of the interrupted benchmark say so already.
    expect(jsonReport(checkpoint).unanswered_requests).toBe(2)
    expect(readFileSync(checkpoint.replace(/\.jsonl$/, ".md"), "utf8")).toContain(counted)

    // An older checkpoint (no asked lines) reads, reports and resumes as before: nothing counted.
    const oldDir = mkdtempSync(join(tmpdir(), "ilo-bench-old-"))
    mkdirSync(oldDir, { recursive: true })
    const old = join(oldDir, basename(checkpoint))
    withoutAskedLines(checkpoint, old)
    expect(readCheckpoint(old).unanswered).toBe(0)
    expect(readCheckpoint(old).runs).toHaveLength(TASKS - 2)

    // `report` of each checkpoint.
    for (const [file, says] of [[checkpoint, true], [old, false]] as const) {
      const reported = await runCli(["report", file], { env: s.env })
      expect(reported.code).toBe(0)
      const md = readFileSync(file.replace(/\.jsonl$/, ".report.md"), "utf8")
      if (says) expect(md).toContain(counted)
      else expect(md).not.toContain("interrupted before their reply")
    }

    holding = false
    const resumed = await runCli([...s.args, "--resume", checkpoint], { env: s.env })
    expect(resumed.code).toBe(0)
    expect(resumed.stderr).toContain(`WARNING: ${counted}`)
    const final = jsonReport(checkpoint)
    expect(final.complete).toBe(true)
    expect(final.unanswered_requests).toBe(2)
    expect(final.notes).toContainEqual(expect.stringContaining(counted))
    // The resume's own requests were answered: still two, read back from the checkpoint.
    expect(readCheckpoint(checkpoint).unanswered).toBe(2)
    expect(readFileSync(checkpoint.replace(/\.jsonl$/, ".md"), "utf8")).toContain(counted)
    expect(readFileSync(checkpoint.replace(/\.jsonl$/, ".html"), "utf8")).toContain(counted)

    const oldResumed = await runCli([...s.args, "--resume", old], { env: s.env })
    expect(oldResumed.code).toBe(0)
    expect(oldResumed.stderr).not.toContain("interrupted before their reply")
    const oldFinal = jsonReport(old)
    expect(oldFinal.complete).toBe(true)
    expect(oldFinal.results).toHaveLength(TASKS)
    expect(oldFinal).not.toHaveProperty("unanswered_requests")
    expect(oldFinal.notes.join("\n")).not.toContain("interrupted before their reply")
  })

  it("Ctrl-C while a run pauses before its retry (a 429 with retry-after) counts only the request really in flight as possibly billed", async () => {
    // t6 is held in flight; t7 is answered 429 "come back in a minute": at the Ctrl-C it waits, with nothing sent.
    let holding = true
    const s = await setup(
      0,
      (expected) => holding && expected === "6",
      (expected) => (holding && expected === "7" ? { status: 429, headers: { "retry-after": "60" } } : undefined)
    )
    let pid = 0
    const running = runCli(s.args, { env: s.env, onSpawn: (p) => (pid = p) })
    const t7Refused = () => s.server.requests.some((r) => lastUserText(r).includes("Expected output: 7\n"))
    await until(() => runLines(checkpointIn(s.outDir)) >= TASKS - 2 && s.server.requests.length >= TASKS && t7Refused(), "every run finished but t6 (held) and t7 (refused)")
    // The 429 is answered; t7 waits out its retry-after (a minute) now.
    await new Promise((r) => setTimeout(r, 1000))
    process.kill(pid, "SIGINT")
    const interrupted = await running
    expect(interrupted.code).toBe(130)
    const checkpoint = checkpointIn(s.outDir)!
    // Only t6's request was in flight: t7's was answered (429), and its next try never went.
    expect(readCheckpoint(checkpoint).unanswered).toBe(1)
    const counted = "Billing unknown: 1 model request(s) were sent but interrupted before their reply was recorded"
    expect(jsonReport(checkpoint).unanswered_requests).toBe(1)
    expect(readFileSync(checkpoint.replace(/\.jsonl$/, ".md"), "utf8")).toContain(counted)

    holding = false
    const resumed = await runCli([...s.args, "--resume", checkpoint], { env: s.env })
    expect(resumed.code).toBe(0)
    expect(resumed.stderr).toContain(`WARNING: ${counted}`)
    expect(jsonReport(checkpoint).unanswered_requests).toBe(1)
  })

  it("a second signal exits at once, and the checkpoint is still intact", async () => {
    const s = await setup(300)
    let pid = 0
    const tmp = mkdtempSync(join(tmpdir(), "second-signal-"))
    const running = runCli(s.args, { env: { ...s.env, TMPDIR: tmp }, onSpawn: (p) => (pid = p) })
    await until(() => runLines(checkpointIn(s.outDir)) >= 1, "a finished run")
    process.kill(pid, "SIGINT")
    process.kill(pid, "SIGTERM")
    const result = await running
    // The programs' directory went with it.
    await until(() => readdirSync(tmp).length === 0, "the programs' directory removed", 3000)

    expect(result.code).toBe(130)
    expect(result.stderr).toContain("Interrupted again: exiting now.")
    const checkpoint = checkpointIn(s.outDir)!
    const again = result.stderr.slice(result.stderr.indexOf("Interrupted again"))
    expect(again).toContain(`Resume with:\n  node dist/bin.js ${s.args.join(" ")} --resume ${checkpoint}`)
    expect(readCheckpoint(checkpoint).runs.length).toBeGreaterThanOrEqual(1)
    await resumeAndCheck(s, checkpoint)
    // A report half written when the second signal came leaves no temp file behind the resume.
    expect(readdirSync(s.outDir).filter((f) => f.endsWith(".tmp"))).toEqual([])
  })

  it("a resume while the benchmark still writes its checkpoint is refused: one writer per checkpoint", async () => {
    const s = await setup(300)
    let pid = 0
    const running = runCli(s.args, { env: s.env, onSpawn: (p) => (pid = p) })
    await until(() => runLines(checkpointIn(s.outDir)) >= 1, "a finished run")
    const checkpoint = checkpointIn(s.outDir)!
    const calls = s.server.requests.length
    const second = await runCli([...s.args, "--resume", checkpoint], { env: s.env })
    expect(second.code).toBe(2)
    expect(second.stderr.trim().split("\n").filter((l) => l.startsWith("ERROR:"))).toEqual([
      `ERROR: checkpoint ${checkpoint}: in use by process ${pid}, another ilo-bench writing it (if none is, remove ${checkpoint}.lock)`
    ])
    const first = await running
    expect(first.code).toBe(0)
    // The refused resume asked nothing: the requests are the first run's alone.
    expect(s.server.requests.length).toBeGreaterThanOrEqual(calls)
    expect(s.server.requests.length).toBeLessThanOrEqual(TASKS)
    expect(readCheckpoint(checkpoint).runs).toHaveLength(TASKS)
    expect(existsSync(`${checkpoint}.lock`)).toBe(false)
  })

  it("--resume with a different retry cap is refused with exit 2 and one line naming it", async () => {
    const s = await setup(0)
    const first = await runCli(s.args, { env: s.env })
    expect(first.code).toBe(0)
    const checkpoint = checkpointIn(s.outDir)!
    const calls = s.server.requests.length
    const refused = await runCli([...s.args, "--retry-cap", "3", "--resume", checkpoint], { env: s.env })
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split("\n").filter((l) => l.startsWith("ERROR:"))).toEqual([
      `ERROR: cannot resume ${checkpoint}: retry cap: checkpoint 5, now 3 (--force resumes anyway)`
    ])
    expect(s.server.requests.length).toBe(calls)
    expect(refused.stdout).toBe("")
  })

  it("--force and --retry-errors without --resume are refused with exit 2", async () => {
    for (const flag of ["--force", "--retry-errors"]) {
      const refused = await runCli(["run", flag, "--tasks-file", "missing.json"], { env: { ANTHROPIC_API_KEY: "test-key" } })
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain(`ERROR: ${flag}: only with --resume`)
    }
  })
})
