import { Clock, Duration, Effect, Random, Ref } from "effect"
import { cacheSavingsUsd, costUsd, effectiveInputTokens, roundUsd, totalInput, type Price, type Tokens } from "../domain/Cost.js"
import type { ProgramOutcome } from "../domain/Outcome.js"
import type { ApiFailure, Attempt, RunResult } from "../domain/Result.js"
import { CurrentExchange, type Llm, type LlmError } from "../services/Llm.js"
import { ProgramRunner, type ProgramRun } from "../services/ProgramRunner.js"
import type { SkillDocs } from "../services/SkillDocs.js"
import { classify, errorDetail, unfence } from "./Outcome.js"
import type { RunSpec } from "./Plan.js"
import { callModel, type RetryPolicy } from "./Policy.js"
import { languageContext, seedLayout, withNonce, type Conversation, type PromptLayout } from "./Prompts.js"

export interface LoopSettings {
  readonly retryCap: number
  readonly maxTokens: number
  readonly requestTimeout: Duration.Duration
  readonly runTimeout: Duration.Duration
  readonly retryPolicy: RetryPolicy
  readonly provider: string
  readonly temperature?: number | undefined
  readonly thinkingBudget?: number | undefined
  /** How prompts are laid out (default: the seed's). */
  readonly layout?: PromptLayout | undefined
  /** "cold" busts the provider's prompt cache on every attempt (default "warm"). */
  readonly cache?: "warm" | "cold" | undefined
  /** List prices by model id; a model without one gets null costs. */
  readonly priceOf?: ((modelId: string) => Price | undefined) | undefined
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
  // The run's own time: its model requests and program runs, not its waits for a free slot.
  const busyMs = yield* Ref.make(0)
  const attempts: Array<Attempt> = []
  const failures = yield* Ref.make<ReadonlyArray<LlmError>>([])
  const layout = settings.layout ?? seedLayout
  const price = settings.priceOf?.(model.id)
  let conversation: Conversation = layout.initial(language, task, context)
  let outcome: ProgramOutcome | "error" = "failed"
  let apiError: ApiFailure | null = null

  for (let number = 1; number <= settings.retryCap; number++) {
    const sent = settings.cache === "cold" ? withNonce(conversation, (yield* Random.nextInt).toString(36)) : conversation
    const reply = yield* callModel(
      {
        model: model.id,
        system: sent.system,
        messages: sent.messages,
        maxTokens: settings.maxTokens,
        timeout: settings.requestTimeout,
        temperature: settings.temperature,
        thinkingBudget: settings.thinkingBudget
      },
      settings.retryPolicy,
      (error) => Ref.update(failures, (all) => [...all, error]),
      (ms) => Ref.update(busyMs, (total) => total + ms)
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
    const usage = reply.right.usage
    const attempt: Attempt = {
      attempt: number,
      outcome: attemptOutcome,
      input_tokens: reply.right.usage.input,
      cache_write_tokens: reply.right.usage.cacheWrite,
      cache_read_tokens: reply.right.usage.cacheRead,
      output_tokens: reply.right.usage.output,
      reasoning_tokens: reply.right.usage.reasoning ?? 0,
      total_input_tokens: totalInput(usage),
      cost_usd: price ? roundUsd(costUsd(usage, price)) : null,
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
    conversation = layout.repair(conversation, language, task, context, program, detail)
  }

  const finished = yield* Clock.currentTimeMillis
  const failed = yield* Ref.get(failures)
  const busy = (yield* Ref.get(busyMs)) + attempts.reduce((ms, a) => ms + a.duration_ms, 0)
  return summarise(spec, settings, attempts, outcome, apiError, failed.length - (apiError === null ? 0 : 1), busy, price, finished - started)
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
  /** Time spent in model requests and program runs. */
  wallMs: number,
  price?: Price | undefined,
  /** Start to end, waits for a free model or program slot included. */
  elapsedMs?: number | undefined
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
    elapsed_s: Math.round((elapsedMs ?? wallMs) / 10) / 100,
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
    ...runEconomics(attempts, price),
    attempts
  }
}

/** The run's money: its cost, its input weighted by price, and what caching saved (see the README). */
const runEconomics = (attempts: ReadonlyArray<Attempt>, price: Price | undefined) => {
  const tokens: Tokens = {
    input: sum(attempts.map((a) => a.input_tokens)),
    cacheWrite: sum(attempts.map((a) => a.cache_write_tokens)),
    cacheRead: sum(attempts.map((a) => a.cache_read_tokens)),
    output: sum(attempts.map((a) => a.output_tokens))
  }
  return {
    cost_usd: price ? roundUsd(costUsd(tokens, price)) : null,
    effective_input_tokens: price ? effectiveInputTokens(tokens, price) : totalInput(tokens),
    cache_savings_usd: price ? roundUsd(cacheSavingsUsd(tokens, price)) : null
  }
}
