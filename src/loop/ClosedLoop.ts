import { Clock, Duration, Effect, Ref } from "effect"
import type { ProgramOutcome } from "../domain/Outcome.js"
import type { ApiFailure, Attempt, RunResult } from "../domain/Result.js"
import { CurrentExchange, type Llm, type LlmError } from "../services/Llm.js"
import { ProgramRunner, type ProgramRun } from "../services/ProgramRunner.js"
import type { SkillDocs } from "../services/SkillDocs.js"
import { classify, errorDetail, unfence } from "./Outcome.js"
import type { RunSpec } from "./Plan.js"
import { callModel, type RetryPolicy } from "./Policy.js"
import { languageContext, seedLayout, type Conversation } from "./Prompts.js"

export interface LoopSettings {
  readonly retryCap: number
  readonly maxTokens: number
  readonly requestTimeout: Duration.Duration
  readonly runTimeout: Duration.Duration
  readonly retryPolicy: RetryPolicy
  readonly provider: string
  readonly temperature?: number | undefined
  readonly thinkingBudget?: number | undefined
}

/** A line of progress for one attempt (stderr): the seed printed the same. */
export type AttemptObserver = (spec: RunSpec, attempt: Attempt) => Effect.Effect<void>

const toApiFailure = (attempt: number, error: LlmError): ApiFailure => ({
  attempt,
  kind: error.kind,
  status: error.status,
  request_id: error.requestId,
  message: error.message
})

const runProgram = (spec: RunSpec, source: string, timeout: Duration.Duration) =>
  Effect.flatMap(ProgramRunner, (runner) =>
    runner.run({ source, extension: spec.language.extension, command: spec.language.command }, timeout)
  ).pipe(
    // A binary that vanished mid-run fails this attempt like any program that cannot start.
    Effect.catchTag("SpawnError", (e) =>
      Effect.succeed<ProgramRun>({
        stdout: "",
        stderr: `cannot start ${e.command}: ${e.message}`,
        exitCode: 127,
        durationMs: 0,
        timedOut: false,
        outputTruncated: false
      })
    )
  )

/**
 * The closed loop for one run: ask, run, classify, and on anything but working send the error
 * back, up to the retry cap. An API failure that outlives its retries ends the run as "error" and
 * costs no attempt. Never fails: every ending is a result.
 */
export const runClosedLoop = Effect.fn("ClosedLoop.run")(function* (
  spec: RunSpec,
  settings: LoopSettings,
  observe: AttemptObserver = () => Effect.void
): Effect.fn.Return<RunResult, never, Llm | ProgramRunner | SkillDocs> {
  const { task, language, model } = spec
  const context = yield* languageContext(language)
  const started = yield* Clock.currentTimeMillis
  const attempts: Array<Attempt> = []
  const failures = yield* Ref.make<ReadonlyArray<LlmError>>([])
  let conversation: Conversation = seedLayout.initial(language, task, context)
  let outcome: ProgramOutcome | "error" = "failed"
  let apiError: ApiFailure | null = null

  for (let number = 1; number <= settings.retryCap; number++) {
    const reply = yield* callModel(
      {
        model: model.id,
        system: conversation.system,
        messages: conversation.messages,
        maxTokens: settings.maxTokens,
        timeout: settings.requestTimeout,
        temperature: settings.temperature,
        thinkingBudget: settings.thinkingBudget
      },
      settings.retryPolicy,
      (error) => Ref.update(failures, (all) => [...all, error])
    ).pipe(
      Effect.locally(CurrentExchange, { task: task.id, language: language.name, model: model.key, trial: spec.trial, attempt: number }),
      Effect.either
    )
    if (reply._tag === "Left") {
      outcome = "error"
      apiError = toApiFailure(number, reply.left)
      break
    }
    const { program, unfenced } = unfence(reply.right.text)
    const run = yield* runProgram(spec, program, settings.runTimeout)
    const attemptOutcome = classify(task.expected_output, run)
    const detail = attemptOutcome === "working" ? null : errorDetail(run)
    const attempt: Attempt = {
      attempt: number,
      outcome: attemptOutcome,
      input_tokens: reply.right.usage.input,
      cache_write_tokens: reply.right.usage.cacheWrite,
      cache_read_tokens: reply.right.usage.cacheRead,
      output_tokens: reply.right.usage.output,
      reasoning_tokens: reply.right.usage.reasoning ?? 0,
      stop_reason: reply.right.stopReason,
      model_id: reply.right.model,
      exit_code: run.exitCode,
      timed_out: run.timedOut,
      duration_ms: run.durationMs,
      unfenced,
      program,
      error_detail: detail
    }
    attempts.push(attempt)
    outcome = attemptOutcome
    yield* observe(spec, attempt)
    if (detail === null) break
    conversation = seedLayout.repair(language, task, context, detail)
  }

  const finished = yield* Clock.currentTimeMillis
  const failed = yield* Ref.get(failures)
  return summarise(spec, settings, attempts, outcome, apiError, failed.length - (apiError === null ? 0 : 1), finished - started)
})

const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0)

/** The run's record: the seed's fields from the attempts, then the later harness's, then ours. */
export const summarise = (
  spec: RunSpec,
  settings: Pick<LoopSettings, "provider">,
  attempts: ReadonlyArray<Attempt>,
  outcome: ProgramOutcome | "error",
  apiError: ApiFailure | null,
  apiRetries: number,
  wallMs: number
): RunResult => {
  const working = outcome === "working"
  const totalInput = attempts.map((a) => a.input_tokens + a.cache_write_tokens + a.cache_read_tokens)
  const chars = attempts.map((a) => a.program.length)
  return {
    task: spec.task.id,
    language: spec.language.name,
    model: spec.model.key,
    model_id: spec.model.id,
    generation_tokens: sum(attempts.map((a) => a.output_tokens)),
    input_tokens: sum(totalInput),
    repair_tokens_by_turn: attempts.slice(1).map((a) => a.output_tokens),
    attempts_to_success: working ? attempts.length : null,
    attempts_total: attempts.length,
    success_rate: working ? 1.0 : 0.0,
    wall_time_s: Math.round(wallMs / 10) / 100,
    final_outcome: outcome,
    provider: settings.provider,
    generated_chars: sum(chars),
    final_code_chars: chars.at(-1) ?? 0,
    code_chars_by_turn: chars,
    finish_reasons: attempts.map((a) => a.stop_reason),
    truncated_attempts: attempts.filter((a) => a.stop_reason === "max_tokens").length,
    input_cache_hit_tokens: sum(attempts.map((a) => a.cache_read_tokens)),
    input_cache_write_tokens: sum(attempts.map((a) => a.cache_write_tokens)),
    input_cache_miss_tokens: sum(attempts.map((a) => a.input_tokens)),
    context: spec.language.docs._tag === "IloSkills" ? spec.language.docs.context : null,
    api_retries: apiRetries,
    trial: spec.trial,
    reasoning_tokens: sum(attempts.map((a) => a.reasoning_tokens)),
    api_error: apiError,
    attempts
  }
}
