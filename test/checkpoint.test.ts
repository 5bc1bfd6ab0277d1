import { FileSystem } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Logger } from "effect"
import { appendFileSync, symlinkSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { CHECKPOINT_FORMAT } from "../src/domain/Checkpoint.js"
import { Checkpoint, layer as CheckpointLive, encodeLine, parseCheckpoint } from "../src/services/Checkpoint.js"
import { header, replyLine, result } from "./support/fixtures.js"
import { NodeContext } from "./support/layers.js"

// Signing keys go to a state directory of the test's own.
const stateDir = mkdtempSync(join(tmpdir(), "ilo-bench-state-"))
process.env.XDG_STATE_HOME = stateDir

const tempFile = () => join(mkdtempSync(join(tmpdir(), "ilo-bench-checkpoint-")), "closed-loop-2026-11-25.jsonl")

/** Collects log messages (warnings) instead of printing them. */
const captureLogs = () => {
  const messages: Array<string> = []
  const layer = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ message }) => void messages.push(Array.isArray(message) ? message.join(" ") : String(message)))
  )
  return { messages, layer }
}

const live = Layer.provideMerge(CheckpointLive, NodeContext.layer)

describe("checkpoint (live, on disk)", () => {
  it.scoped("round trip: the header and every run come back whole, one JSON line each, header first", () =>
    Effect.gen(function* () {
      const file = tempFile()
      writeFileSync(file, "") // claimed by the report stamp
      const checkpoint = yield* Checkpoint
      const writer = yield* checkpoint.begin(file, header())
      const runs = [result("t1"), result("t2", "failed"), result("t3", "error")]
      for (const r of runs) yield* writer.append({ type: "run", result: r })
      yield* writer.append({ type: "resume", at: "2026-11-25T11:00:00.000Z", forced: [], retry_errors: false })

      const lines = readFileSync(file, "utf8").split("\n")
      expect(lines).toHaveLength(6) // header, 3 runs, resume, and the empty string after the last newline
      expect(JSON.parse(lines[0]!)).toMatchObject({ type: "header", format: CHECKPOINT_FORMAT })
      const back = yield* checkpoint.read(file)
      expect(back.header).toEqual({ ...header(), signing_key: expect.stringMatching(/^[0-9a-f]{32}$/) })
      expect(back.runs).toEqual(runs)
      expect(back.resumes).toHaveLength(1)
      expect(back.tornLine).toBeNull()
    }).pipe(Effect.provide(live)))

  it.scoped("a checkpoint whose directory is removed, or moved, while it is written is written again at its path, every line kept", () =>
    Effect.gen(function* () {
      const logs = captureLogs()
      const file = tempFile()
      const dir = dirname(file)
      const checkpoint = yield* Checkpoint
      const writer = yield* checkpoint.begin(file, header())
      yield* writer.append({ type: "run", result: result("t1") })
      rmSync(dir, { recursive: true, force: true })
      yield* writer.append({ type: "run", result: result("t2") }).pipe(Effect.provide(logs.layer))
      expect((yield* checkpoint.read(file)).runs.map((r) => r.task)).toEqual(["t1", "t2"])
      expect(existsSync(`${file}.lock`)).toBe(true)
      expect(logs.messages.join("\n")).toContain(`the checkpoint ${file} was removed or moved while the benchmark ran`)
      // Moved away: the path gets the lines again, and the next ones.
      renameSync(dir, `${dir}-moved`)
      yield* writer.append({ type: "run", result: result("t3") }).pipe(Effect.provide(logs.layer))
      expect((yield* checkpoint.read(file)).runs.map((r) => r.task)).toEqual(["t1", "t2", "t3"])
      rmSync(`${dir}-moved`, { recursive: true, force: true })
      // It cannot be written again (a file where its directory was): the append fails, nothing is
      // left at the path, and once it can be, every line is back.
      rmSync(dir, { recursive: true, force: true })
      writeFileSync(dir, "")
      expect(Either.isLeft(yield* Effect.either(writer.append({ type: "run", result: result("t4") })))).toBe(true)
      rmSync(dir, { force: true })
      yield* writer.append({ type: "run", result: result("t5") }).pipe(Effect.provide(logs.layer))
      expect((yield* checkpoint.read(file)).runs.map((r) => r.task)).toEqual(["t1", "t2", "t3", "t5"])
      expect(readdirSync(dir).filter((f) => f.includes(".restore"))).toEqual([])
      // Another file in its place is not overwritten.
      const replaced = `${file}.other`
      writeFileSync(replaced, "not ours\n")
      renameSync(replaced, file)
      const failed = yield* Effect.either(writer.append({ type: "run", result: result("t6") }))
      expect(Either.isLeft(failed) && failed.left.message).toContain("another file took its place")
      expect(readFileSync(file, "utf8")).toBe("not ours\n")
      // ...and the finished runs are not lost with it: they are written beside it, under a name the message gives.
      const rescued = /every line it had is in (\S+) \(resume with --resume \1\)/.exec(Either.isLeft(failed) ? failed.left.message : "")?.[1]
      expect(rescued).toBe(file.replace(/\.jsonl$/, `-rescued-${process.pid}.jsonl`))
      expect((yield* checkpoint.read(rescued!)).runs.map((r) => r.task)).toEqual(["t1", "t2", "t3", "t5"])
    }).pipe(Effect.provide(live)))

  it.scoped("a checkpoint swapped for a symbolic link while it is written: the link's target is untouched, every run is written beside it", () =>
    Effect.gen(function* () {
      const file = tempFile()
      const checkpoint = yield* Checkpoint
      const writer = yield* checkpoint.begin(file, header())
      yield* writer.append({ type: "run", result: result("t1") })
      const target = join(dirname(file), "elsewhere")
      writeFileSync(target, "theirs\n")
      rmSync(file)
      symlinkSync(target, file)
      const failed = yield* Effect.either(writer.append({ type: "run", result: result("t2") }))
      expect(Either.isLeft(failed) && failed.left.message).toMatch(/another file took its place while the benchmark ran; every line it had is in \S+-rescued-\d+\.jsonl/)
      expect(readFileSync(target, "utf8")).toBe("theirs\n")
      const rescued = readdirSync(dirname(file)).find((f) => f.includes("-rescued-"))!
      expect((yield* checkpoint.read(join(dirname(file), rescued))).runs.map((r) => r.task)).toEqual(["t1"])
    }).pipe(Effect.provide(live)))

  it.scoped("round trip: model replies come back whole, in the order written, beside the runs", () =>
    Effect.gen(function* () {
      const file = tempFile()
      const checkpoint = yield* Checkpoint
      const writer = yield* checkpoint.begin(file, header())
      const replies = [replyLine("t1", 1, 'print("a \\"quoted\\" line\\twith a tab")\n'), replyLine("t2", 1), replyLine("t1", 2)]
      yield* writer.append(replies[0]!)
      yield* writer.append(replies[1]!)
      yield* writer.append({ type: "run", result: result("t2") })
      yield* writer.append(replies[2]!)

      const back = yield* checkpoint.read(file)
      expect(back.replies).toEqual(replies)
      expect(back.runs.map((r) => r.task)).toEqual(["t2"])
      expect(back.tornLine).toBeNull()
      expect(readFileSync(file, "utf8").split("\n")[1]).toMatch(/^\{"type":"reply","task":"t1","language":"python","model":"haiku","trial":1,"attempt":1,/)
    }).pipe(Effect.provide(live)))

  it.scoped("a checkpoint written before replies were recorded reads as one without replies", () =>
    Effect.gen(function* () {
      const file = tempFile()
      writeFileSync(file, encodeLine(header()) + encodeLine({ type: "run", result: result("t1") }))
      const back = yield* (yield* Checkpoint).read(file)
      expect(back.runs.map((r) => r.task)).toEqual(["t1"])
      expect(back.replies).toEqual([])
    }).pipe(Effect.provide(live)))

  it.scoped("a reply line cut short by a crash is ignored with a warning; the replies before it count; appending cuts it", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const file = tempFile()
      const torn = encodeLine(replyLine("t2", 1))
      writeFileSync(file, encodeLine(header()) + encodeLine(replyLine("t1", 1)) + torn.slice(0, torn.length - 20))
      const checkpoint = yield* Checkpoint
      const back = yield* checkpoint.read(file)
      expect(back.replies).toEqual([replyLine("t1", 1)])
      expect(back.tornLine).toBe(3)
      expect(logs.messages.join("\n")).toContain("line 3 was cut short")

      const writer = yield* checkpoint.reopen(file, back)
      yield* writer.append(replyLine("t2", 1))
      const again = yield* checkpoint.read(file)
      expect(again.replies).toEqual([replyLine("t1", 1), replyLine("t2", 1)])
      expect(again.tornLine).toBeNull()
    }).pipe(Effect.provide(Layer.merge(live, logs.layer)))
  })

  it.scoped("each line is on disk as soon as append returns, before the next is written", () =>
    Effect.gen(function* () {
      const file = tempFile()
      const checkpoint = yield* Checkpoint
      const writer = yield* checkpoint.begin(file, header())
      yield* writer.append({ type: "run", result: result("t1") })
      // Another process (a resume after kill -9) would see exactly this.
      const onDisk = parseCheckpoint(file, readFileSync(file, "utf8"))
      expect(Either.getOrThrow(onDisk).runs.map((r) => r.task)).toEqual(["t1"])
    }).pipe(Effect.provide(live)))

  it.scoped("appends from many runs at once: each is on disk when its append returns, all whole, in the order appended", () =>
    Effect.gen(function* () {
      const file = tempFile()
      const checkpoint = yield* Checkpoint
      const writer = yield* checkpoint.begin(file, header())
      const tasks = Array.from({ length: 200 }, (_, i) => `t${i}`)
      yield* Effect.forEach(
        tasks,
        (task) =>
          writer.append({ type: "run", result: result(task) }).pipe(
            Effect.tap(() => expect(readFileSync(file, "utf8")).toContain(`"task":"${task}"`))
          ),
        { concurrency: "unbounded", discard: true }
      )
      const onDisk = Either.getOrThrow(parseCheckpoint(file, readFileSync(file, "utf8")))
      expect(onDisk.tornLine).toBeNull()
      expect(onDisk.runs.map((r) => r.task)).toEqual(tasks)
    }).pipe(Effect.provide(live)))

  it.scoped("a torn last line is ignored with a warning; every complete line before it counts; appending cuts it", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const file = tempFile()
      const full = encodeLine({ type: "run", result: result("t3") })
      writeFileSync(
        file,
        encodeLine(header()) + encodeLine({ type: "run", result: result("t1") }) + encodeLine({ type: "run", result: result("t2") }) +
          full.slice(0, full.length / 2)
      )
      const checkpoint = yield* Checkpoint
      const back = yield* checkpoint.read(file)
      expect(back.runs.map((r) => r.task)).toEqual(["t1", "t2"])
      expect(back.tornLine).toBe(4)
      expect(logs.messages.join("\n")).toContain("line 4 was cut short")

      const writer = yield* checkpoint.reopen(file, back)
      yield* writer.append({ type: "run", result: result("t3") })
      const again = yield* checkpoint.read(file)
      expect(again.runs.map((r) => r.task)).toEqual(["t1", "t2", "t3"])
      expect(again.tornLine).toBeNull()
    }).pipe(Effect.provide(Layer.merge(live, logs.layer)))
  })

  it.effect("a file that is not a checkpoint is refused, naming the line", () =>
    Effect.gen(function* () {
      const checkpoint = yield* Checkpoint
      const file = tempFile()
      writeFileSync(file, encodeLine(header()) + "not json\n" + encodeLine({ type: "run", result: result("t1") }))
      const bad = yield* Effect.flip(checkpoint.read(file))
      expect(bad.message).toContain("line 2 is not a checkpoint record")

      writeFileSync(file, "")
      expect((yield* Effect.flip(checkpoint.read(file))).message).toContain("is empty")
      writeFileSync(file, JSON.stringify({ results: [] }) + "\n")
      expect((yield* Effect.flip(checkpoint.read(file))).message).toContain("line 1 is not a checkpoint header")
      expect((yield* Effect.flip(checkpoint.read(file + ".missing"))).message).toContain("not found")
    }).pipe(Effect.provide(live)))

  it.scoped("reopening appends after the existing lines, never over them", () =>
    Effect.gen(function* () {
      const file = tempFile()
      const checkpoint = yield* Checkpoint
      const first = yield* checkpoint.begin(file, header())
      yield* first.append({ type: "run", result: result("t1") })
      const contents = yield* checkpoint.read(file)
      const second = yield* checkpoint.reopen(file, contents)
      yield* second.append({ type: "run", result: result("t2") })
      const fs = yield* FileSystem.FileSystem
      const text = yield* fs.readFileString(file)
      expect(text.split("\n").filter((l) => l !== "")).toHaveLength(3)
      expect((yield* checkpoint.read(file)).runs.map((r) => r.task)).toEqual(["t1", "t2"])
    }).pipe(Effect.provide(live)))

  it.scoped("lines a program appends, copies or edits are refused on read; the harness's own lines around them count, and a resume goes on signing", () =>
    Effect.gen(function* () {
      const logs = captureLogs()
      const file = tempFile()
      const checkpoint = yield* Checkpoint
      const writer = yield* checkpoint.begin(file, header())
      yield* writer.append({ type: "run", result: result("t1", "failed") })
      const genuine = readFileSync(file, "utf8").split("\n")
      // What a program could do with the file: a forged run, a copied signed line, one edited.
      const forged = encodeLine({ type: "run", result: result("t2") })
      appendFileSync(file, forged + genuine[1] + "\n" + genuine[1]!.replace('"failed"', '"working"') + "\n")
      // The harness goes on writing after them, chained to its own last line.
      yield* writer.append({ type: "run", result: result("t3") })
      const back = yield* checkpoint.read(file).pipe(Effect.provide(logs.layer))
      expect(back.runs.map((r) => [r.task, r.final_outcome])).toEqual([["t1", "failed"], ["t3", "working"]])
      expect(back.refusedLines).toEqual([3, 4, 5])
      expect(logs.messages.join("\n")).toContain("3 line(s) were not written by the ilo-bench that owns it (their signature does not match) and are left out: line 3, 4, 5")
      // Reopened, it continues the same chain: the next reader accepts the new line.
      yield* Effect.scoped(Effect.gen(function* () {
        const again = yield* checkpoint.reopen(file, back)
        yield* again.append({ type: "run", result: result("t4") })
      }))
      expect((yield* checkpoint.read(file).pipe(Effect.provide(logs.layer))).runs.map((r) => r.task)).toEqual(["t1", "t3", "t4"])
      // A header rewritten, or a checkpoint whose key is not here, is refused whole.
      const lines = readFileSync(file, "utf8").split("\n")
      writeFileSync(file, [lines[0]!.replace('"started":"', '"started":"1'), ...lines.slice(1)].join("\n"))
      const edited = yield* Effect.either(checkpoint.read(file))
      expect(Either.isLeft(edited) && edited.left.message).toMatch(/its header was not written by the ilo-bench that began it/)
      const key = JSON.parse(lines[0]!).signing_key as string
      writeFileSync(file, lines.join("\n"))
      rmSync(join(stateDir, "ilo-bench", "checkpoint-keys", `${key}.key`))
      const keyless = yield* Effect.either(checkpoint.read(file))
      expect(Either.isLeft(keyless) && keyless.left.message).toMatch(/signed with a key this machine does not have/)
    }).pipe(Effect.provide(live)))

  it("the key that signs a checkpoint is kept out of the output directory, readable by the user alone", () => {
    const dir = join(stateDir, "ilo-bench", "checkpoint-keys")
    const keys = readdirSync(dir)
    expect(keys.length).toBeGreaterThan(0)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    for (const k of keys) expect(statSync(join(dir, k)).mode & 0o777).toBe(0o600)
  })
})

describe("requests sent and never answered (asked lines)", () => {
  const asked = (task: string, attempt: number) =>
    ({ type: "asked", task, language: "python", model: "haiku", trial: 1, attempt }) as const
  const unansweredIn = (lines: ReadonlyArray<Parameters<typeof encodeLine>[0]>) =>
    Either.getOrThrow(parseCheckpoint("c.jsonl", [header(), ...lines].map(encodeLine).join(""))).unanswered
  const resume = { type: "resume", at: "2026-11-25T11:00:00.000Z", forced: [], retry_errors: false } as const

  it("a reply answers its attempt, a run's line ends what the run asked (an API error is an answer); what is open when a session ends was in flight", () => {
    expect(unansweredIn([asked("t1", 1), replyLine("t1", 1), asked("t1", 2), replyLine("t1", 2), { type: "run", result: result("t1") }])).toBe(0)
    // An API error that outlived its retries: no reply, but the run ended.
    expect(unansweredIn([asked("t3", 1), { type: "run", result: result("t3", "error") }])).toBe(0)
    // Interrupted with t1's attempt 2 and t2's attempt 1 in flight; the resume asks them again and is answered.
    const interrupted = [asked("t1", 1), replyLine("t1", 1), asked("t1", 2), asked("t2", 1)]
    expect(unansweredIn(interrupted)).toBe(2)
    expect(unansweredIn([...interrupted, resume, asked("t1", 2), replyLine("t1", 2), asked("t2", 1), replyLine("t2", 1)])).toBe(2)
    // Interrupted again, in the resumed session.
    expect(unansweredIn([...interrupted, resume, asked("t1", 2), resume])).toBe(3)
  })

  it("a try answered with an error (errored) leaves nothing in flight during the pause before the next; the next try is asked again", () => {
    const errored = (task: string, attempt: number) => ({ ...asked(task, attempt), type: "errored" }) as const
    // Interrupted during the retry's pause: nothing was in flight.
    expect(unansweredIn([asked("t1", 1), errored("t1", 1)])).toBe(0)
    expect(unansweredIn([asked("t1", 1), errored("t1", 1), resume])).toBe(0)
    // Interrupted while the next try was out.
    expect(unansweredIn([asked("t1", 1), errored("t1", 1), asked("t1", 1)])).toBe(1)
    expect(unansweredIn([asked("t1", 1), errored("t1", 1), asked("t1", 1), replyLine("t1", 1)])).toBe(0)
  })

  it("a checkpoint without asked lines (an older ilo-bench's) counts none", () => {
    expect(unansweredIn([replyLine("t1", 1), resume, { type: "run", result: result("t2") }])).toBe(0)
  })
})
