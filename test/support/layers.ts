import * as NodeContext from "@effect/platform-node/NodeContext"
import { Duration, Effect, Layer, Ref } from "effect"
import type { Language } from "../../src/domain/Language.js"
import type { Task } from "../../src/domain/Task.js"
import type { LoopSettings } from "../../src/loop/ClosedLoop.js"
import type { RunSpec } from "../../src/loop/Plan.js"
import { Llm, LlmError, type LlmReply, type LlmRequest } from "../../src/services/Llm.js"
import { ProgramRunner, type ProgramRun, type ProgramSource } from "../../src/services/ProgramRunner.js"
import { SkillDocs, type SkillModule } from "../../src/services/SkillDocs.js"
import { CheckpointError } from "../../src/domain/errors.js"
import { Checkpoint, encodeLine, parseCheckpoint, type CheckpointWriter } from "../../src/services/Checkpoint.js"

export const reply = (text: string, output = 10, input = 100, extra: Partial<LlmReply> = {}): LlmReply => ({
  text,
  usage: { input, cacheWrite: 0, cacheRead: 0, output },
  stopReason: "end_turn",
  model: "test-model",
  requestId: null,
  ...extra
})

export const apiError = (kind: LlmError["kind"], status: number | null = null, retryAfterMs: number | null = null) =>
  new LlmError({ kind, status, retryAfterMs, requestId: "req_test", message: `scripted ${kind}` })

/** A scripted model: the n-th call (0-based) gets script(request, n); every request is kept. */
export const scriptedLlm = (script: (request: LlmRequest, n: number) => Effect.Effect<LlmReply, LlmError>) =>
  Effect.gen(function* () {
    const requests = yield* Ref.make<ReadonlyArray<LlmRequest>>([])
    const layer = Layer.succeed(
      Llm,
      Llm.make({
        provider: "test",
        complete: (request) =>
          Ref.getAndUpdate(requests, (all) => [...all, request]).pipe(
            Effect.flatMap((before) => script(request, before.length))
          )
      })
    )
    return { layer, requests: Ref.get(requests) }
  })

export const run = (partial: Partial<ProgramRun> = {}): ProgramRun => ({
  stdout: "",
  stderr: "",
  exitCode: 0,
  durationMs: 1,
  timedOut: false,
  outputTruncated: false,
  ...partial
})

/** A program runner that answers from the program text, without starting anything. */
export const scriptedRunner = (answer: (program: ProgramSource) => ProgramRun) =>
  Layer.succeed(
    ProgramRunner,
    ProgramRunner.make({
      exec: () => Effect.succeed(run({ stdout: "test 1.0\n" })),
      run: (program) => Effect.succeed(answer(program)),
      release: Effect.void
    })
  )

/** Skill docs from a fixed map, without ilo or files. */
export const fixedSkills = (texts: Record<string, string> = {}) =>
  Layer.succeed(SkillDocs, SkillDocs.make({
    get: (module: string) =>
      Effect.succeed<SkillModule>({
        module,
        text: texts[module] ?? `# ${module}\n`,
        source: "test",
        sha256: "0".repeat(64),
        bytes: 0
      }),
    loaded: Effect.succeed([])
  }))

export const task = (id = "t1", expected = "55"): Task => ({ id, description: `Print ${expected}.`, expected_output: expected })

export const python: Language = { name: "python", command: ["python3", "{file}"], extension: ".py", docs: { _tag: "None" } }
export const ilo: Language = {
  name: "ilo",
  command: ["ilo", "{file}", "main"],
  extension: ".ilo",
  docs: { _tag: "IloSkills", context: "default", modules: ["ilo-language"] }
}

export const spec = (partial: Partial<RunSpec> = {}): RunSpec => ({
  index: 0,
  task: task(),
  language: python,
  model: { key: "haiku", id: "claude-haiku-4-5" },
  trial: 1,
  ...partial
})

export const settings = (partial: Partial<LoopSettings> = {}): LoopSettings => ({
  retryCap: 5,
  maxTokens: 1024,
  requestTimeout: Duration.seconds(90),
  runTimeout: Duration.seconds(20),
  retryPolicy: { retries: 3, baseDelay: Duration.seconds(1), maxDelay: Duration.seconds(30) },
  provider: "test",
  ...partial
})

export { NodeContext }

/**
 * The checkpoint in memory: each file is its text, appended to line by line as the live layer
 * would, and read back with the same parser. `files` shows what a crash would leave.
 */
export const memoryCheckpoint = () => {
  const files = new Map<string, string>()
  const writer = (path: string) => ({
    path,
    append: (line: Parameters<CheckpointWriter["append"]>[0]) =>
      Effect.sync(() => void files.set(path, (files.get(path) ?? "") + encodeLine(line))),
    ensure: Effect.void
  })
  const layer = Layer.succeed(
    Checkpoint,
    Checkpoint.make({
      begin: (path, header) =>
        Effect.sync(() => {
          files.set(path, encodeLine(header))
          return writer(path)
        }),
      reopen: (path, contents) =>
        Effect.sync(() => {
          const bytes = Buffer.from(files.get(path) ?? "", "utf8").subarray(0, contents.validBytes)
          files.set(path, bytes.toString("utf8"))
          return writer(path)
        }),
      read: (path, visit) =>
        Effect.suspend(() => {
          const text = files.get(path)
          return text === undefined
            ? Effect.fail(new CheckpointError({ path, reason: "not found" }))
            : parseCheckpoint(path, text, { ...visit, keepRest: true })
        })
    })
  )
  return { layer, files }
}
