import { Clock, Duration, Effect, Either, Fiber, Option, Random } from "effect"
import type { CheckpointAsked, CheckpointReply, CheckpointStarted } from "../domain/Checkpoint.js"
import { addTokens, cacheSavingsUsd, costUsd, effectiveInputTokens, noTokens, roundUsd, totalInput, type Price, type Tokens } from "../domain/Cost.js"
import type { ProgramOutcome } from "../domain/Outcome.js"
import { countTokens } from "../services/Tokenizers.js"
import { ProgramTokens } from "../services/ProgramTokens.js"
import type { AbandonedRequest, ApiFailure, Attempt, RunResult } from "../domain/Result.js"
import { knownIssue } from "../domain/Task.js"
import type { Llm, LlmError, LlmReply, LlmStop } from "../services/Llm.js"
import { ProgramRunner, type HarnessFailing, type ProgramRun } from "../services/ProgramRunner.js"
import type { SkillDocs } from "../services/SkillDocs.js"
import { publish } from "./Events.js"
import { extractProgram, languageTags } from "./Extract.js"
import { classify, errorDetail } from "./Outcome.js"
import type { RunSpec } from "./Plan.js"
import { callModel, isLlmError, type RetryPolicy } from "./Policy.js"
import { languageContext, seedLayout, withNonce, type Conversation, type PromptLayout } from "./Prompts.js"
import { fixScratchPaths } from "./ScratchPath.js"

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
  /** --confirm N: a program that works runs N times in all, each in a fresh directory (default 1). */
  readonly confirm?: number | undefined
  /** --batch: the requests go in Message Batches (the Llm service batches them; `priceOf` gives batch prices). */
  readonly batch?: boolean | undefined
}

/** What must be on disk before the benchmark goes on: the checkpoint's journal, called directly. */
export interface Journal<E = never> {
  /**
   * A model reply, the moment it lands and before its program runs; an interrupt cannot come
   * between the two. Not told of a reply replayed from `spec.recorded`. A failure ends the run with it.
   */
  readonly onReply?: ((reply: CheckpointReply) => Effect.Effect<void, E>) | undefined
  /**
   * A program about to run again from a recorded reply ("started": a fresh reply's own line says
   * as much), and every program once it has ended, however ("ended"): what a program that killed
   * the harness leaves without an end. A failure here ends the run with it.
   */
  readonly onProgram?: ((line: CheckpointStarted) => Effect.Effect<void, E>) | undefined
  /**
   * An attempt's request about to be sent (its first try, past the rate gate): a request an
   * interrupt catches in flight leaves this without a reply, so that its unknown cost is told. A
   * failure here ends the run with it.
   */
  readonly onAsk?: ((line: CheckpointAsked) => Effect.Effect<void, E>) | undefined
}

/**
 * A failed try given up on after its prompt went out (a timeout, a connection lost once sent):
 * the provider may have read and billed it. Any other failure was answered (an HTTP error) or
 * never left: nothing of it is in flight, nor billed.
 */
export const abandonedAfterSending = (error: LlmError) => error.kind === "timeout" || (error.kind === "connection" && error.notSent !== true)

/** A stop on an endpoint's HTTP answer (a 401, 403 or 404: EndpointUnusable): that try was answered, nothing of it in flight. */
const stoppedOnAnswer = (error: unknown) =>
  typeof error === "object" &&
  error !== null &&
  (error as { readonly _tag?: unknown })._tag === "EndpointUnusable" &&
  String((error as { readonly what?: unknown }).what).startsWith("HTTP ")

/** What a program that killed the harness (spec.killedHarness) is recorded as having done. */
const KILLED_HARNESS: ProgramRun = {
  stdout: "",
  stderr:
    "ilo-bench stopped twice while this program ran, without ending it (the program killed the harness, it seems); it was not run a third time",
  exitCode: null,
  durationMs: 0,
  timedOut: false,
  outputTruncated: false
}

const toApiFailure = (attempt: number, error: LlmError): ApiFailure => ({
  attempt,
  kind: error.kind,
  status: error.status,
  request_id: error.requestId,
  message: error.message
})

/**
 * The program's run, or why the harness could not run it (a spawn error, no scratch directory, no
 * program host): that is the harness's failure, not the program's, and is never scored.
 */
const runProgram = (spec: RunSpec, source: string, timeout: Duration.Duration) =>
  Effect.flatMap(ProgramRunner, (runner) =>
    runner.run({ source, extension: spec.language.extension, command: spec.language.command }, timeout)
  ).pipe(
    // Where it ran is random; what the model is sent (and what is classified) must not depend on it.
    Effect.map((run) => Either.right<ProgramRun>({ ...run, stdout: fixScratchPaths(run.stdout), stderr: fixScratchPaths(run.stderr) })),
    Effect.catchTags({
      SpawnError: (e) => Effect.succeed(Either.left(`cannot start ${e.command}: ${e.message}`)),
      ProgramHostUnavailable: (e) => Effect.succeed(Either.left(e.message))
    })
  )

/** The run's record of an attempt the harness could not run: kind "harness", beside the API's kinds. */
const harnessFailure = (attempt: number, message: string): ApiFailure => ({ attempt, kind: "harness", status: null, request_id: null, message })

/**
 * The closed loop for one run: ask, run, classify, and on anything but working send the error
 * back, up to the retry cap. An API failure that outlives its retries ends the run as "error" and
 * costs no attempt. Fails only if the journal does or a replay misses: every other ending is a result.
 *
 * A run resumed from a checkpoint carries the replies recorded for its first attempts
 * (`spec.recorded`): they answer those attempts instead of the model, and everything else (the
 * programs, their outcomes, the repairs, the accounting) is the same as for a fresh run.
 */
// Untraced: no tracer is installed, and a span per run cost its allocation and a stack capture.
export const runClosedLoop = Effect.fnUntraced(function* <E = never>(
  spec: RunSpec,
  settings: LoopSettings,
  journal: Journal<E> = {}
): Effect.fn.Return<RunResult, E | HarnessFailing | LlmStop, Llm | ProgramRunner | SkillDocs> {
  const { task, language, model } = spec
  const context = yield* languageContext(language)
  const started = yield* Clock.currentTimeMillis
  // The run's own time: its model requests and program runs, not its waits for a free slot.
  // Plain counters: only this run's fiber and the callbacks it hands to callModel touch them.
  let busyMs = 0
  let failures = 0
  const attempts: Array<Attempt> = []
  const layout = settings.layout ?? seedLayout
  const price = settings.priceOf?.(model.id)
  let conversation: Conversation = layout.initial(language, task, context)
  let outcome: ProgramOutcome | "error" = "failed"
  let apiError: ApiFailure | null = null
  const abandoned: Array<AbandonedRequest> = []
  const tags = languageTags(language.name, language.extension)
  const confirm = Math.max(1, settings.confirm ?? 1)
  let harnessError: ApiFailure | null = null
  // A reply whose program the harness could not run: no attempt is scored, but it was billed.
  let unscored: Tokens = noTokens
  // --count-tokens anthropic: each attempt's program is counted beside the loop (the next attempt
  // does not wait for it); the run waits for its counts only once it has ended.
  const endpoint = yield* Effect.serviceOption(ProgramTokens)
  const counting = new Map<number, Fiber.RuntimeFiber<number | null>>()

  /** Attempt `number`'s model call; a reply is handed to `onReply` before anything can interrupt the run. */
  const ask = (number: number, sent: Conversation) =>
    Effect.suspend(() => {
      // This attempt's own share, counted apart (not as a difference of the run's float totals).
      let requestMs = 0
      let retried = 0
      const exchange = { task: task.id, language: language.name, model: model.key, trial: spec.trial, attempt: number }
      // Once per attempt while a try of it may be in flight: a try after one abandoned after sending
      // is the same request (its reply line answers both). A try answered with an error leaves none
      // in flight ("errored"): the pause before the next try has nothing an interrupt could lose.
      let asked = false
      const onAsk = journal.onAsk
      const beforeSend =
        onAsk === undefined ? Effect.void : Effect.suspend(() => (asked ? Effect.void : ((asked = true), onAsk({ type: "asked", ...exchange }))))
      const answered = Effect.suspend(() => (onAsk === undefined || !asked ? Effect.void : ((asked = false), onAsk({ type: "errored", ...exchange }))))
      const afterError = (error: LlmError) => (abandonedAfterSending(error) ? Effect.void : answered)
      const call = callModel(
        {
          model: model.id,
          system: sent.system,
          messages: sent.messages,
          maxTokens: settings.maxTokens,
          timeout: settings.requestTimeout,
          temperature: settings.temperature,
          thinkingBudget: settings.thinkingBudget,
          exchange
        },
        settings.retryPolicy,
        (error) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.sync(() => {
              failures++
              retried++
              // Given up after the prompt went out: the provider may have read (and billed) it.
              if (abandonedAfterSending(error))
                abandoned.push({ attempt: number, at: new Date(now).toISOString(), reason: error.kind as "timeout" | "connection", message: error.message, prompt_chars: promptChars(sent) })
            })
          ).pipe(Effect.zipRight(afterError(error))),
        (ms) =>
          Effect.sync(() => {
            busyMs += ms
            requestMs += ms
          }),
        beforeSend
      ).pipe(
        // A stop on the endpoint's answer (a refused key) leaves nothing in flight either.
        Effect.tapError((error) => (stoppedOnAnswer(error) ? answered : Effect.void)),
        // An API failure ends the run as "error"; a replay miss stops the benchmark.
        Effect.map((reply): Either.Either<LlmReply, LlmError> => Either.right(reply)),
        Effect.catchIf(isLlmError, (error) => Effect.succeed(Either.left<LlmError>(error)))
      )
      const onReply = journal.onReply ?? (() => Effect.void)
      const record = (reply: LlmReply) =>
        Effect.suspend(() => {
          const given = abandoned.filter((a) => a.attempt === number)
          const landed: CheckpointReply = {
            type: "reply",
            ...exchange,
            reply,
            request_ms: requestMs,
            api_retries: retried,
            ...(given.length > 0 ? { abandoned_requests: given } : {})
          }
          return Effect.zipRight(onReply(landed), publish({ _tag: "ReplyLanded", reply: landed }))
        })
      return Effect.uninterruptibleMask((restore) =>
        Effect.tap(restore(call), (result) => (Either.isRight(result) ? record(result.right) : Effect.void))
      )
    })

  /** A reply recorded by an earlier session answers the attempt; its requests count as if just made. */
  const replay = (recorded: CheckpointReply) =>
    Effect.sync(() => {
      busyMs += recorded.request_ms
      failures += recorded.api_retries
      abandoned.push(...(recorded.abandoned_requests ?? []))
      return Either.right<LlmReply>(recorded.reply)
    })

  for (let number = 1; number <= settings.retryCap; number++) {
    const sent = settings.cache === "cold" ? withNonce(conversation, (yield* Random.nextInt).toString(36)) : conversation
    const recorded = spec.recorded?.[number - 1]
    const reply: Either.Either<LlmReply, LlmError> = yield* recorded !== undefined ? replay(recorded) : ask(number, sent)
    if (reply._tag === "Left") {
      outcome = "error"
      apiError = toApiFailure(number, reply.left)
      break
    }
    const extracted = extractProgram(reply.right.text, tags)
    const program = extracted.program
    if (Option.isSome(endpoint)) counting.set(number, yield* Effect.fork(endpoint.value.count(model.id, program)))
    const mark = (type: CheckpointStarted["type"]) =>
      journal.onProgram === undefined
        ? Effect.void
        : journal.onProgram({ type, task: task.id, language: language.name, model: model.key, trial: spec.trial, attempt: number })
    if (recorded !== undefined && number !== spec.killedHarness) yield* mark("started")
    const ran: Either.Either<ProgramRun, string> =
      number === spec.killedHarness
        ? // Twice the harness stopped while this program ran: not run a third time, and counted against it.
          Either.right({ ...KILLED_HARNESS, stdout: "" })
        : yield* runProgram(spec, program, settings.runTimeout).pipe(Effect.onExit(() => Effect.ignore(mark("ended"))))
    if (Either.isLeft(ran)) {
      // Not the language's failure: no attempt is scored and nothing goes back to the model.
      outcome = "error"
      harnessError = harnessFailure(number, ran.left)
      unscored = addTokens(unscored, reply.right.usage)
      break
    }
    const run = ran.right
    const attemptOutcome = classify(task.expected_output, run)
    const detail = attemptOutcome === "working" ? null : errorDetail(run)
    // --confirm: a program that worked runs again, each time in a fresh directory; the first run
    // decided the outcome (the seed's rule), the others say whether it holds.
    let working = attemptOutcome === "working" ? 1 : 0
    let confirmMs = 0
    if (attemptOutcome === "working")
      for (let again = 1; again < confirm; again++) {
        const rerun = yield* runProgram(spec, program, settings.runTimeout)
        // A rerun the harness could not start says nothing about the program: it ends the run as the harness's error.
        if (Either.isLeft(rerun)) {
          harnessError = harnessFailure(number, rerun.left)
          break
        }
        confirmMs += rerun.right.durationMs
        if (classify(task.expected_output, rerun.right) === "working") working++
      }
    if (harnessError !== null) {
      outcome = "error"
      unscored = addTokens(unscored, reply.right.usage)
      break
    }
    busyMs += confirmMs
    const usage = reply.right.usage
    const attempt: Attempt = {
      attempt: number,
      outcome: attemptOutcome,
      input_tokens: reply.right.usage.input,
      cache_write_tokens: reply.right.usage.cacheWrite,
      cache_read_tokens: reply.right.usage.cacheRead,
      output_tokens: reply.right.usage.output,
      reasoning_tokens: usage.reasoning ?? null,
      total_input_tokens: totalInput(usage),
      cost_usd: price && usage.unreported !== true ? roundUsd(costUsd(usage, price)) : null,
      stop_reason: reply.right.stopReason,
      model_id: reply.right.model,
      exit_code: run.exitCode,
      timed_out: run.timedOut,
      duration_ms: run.durationMs,
      unfenced: extracted.source !== "whole",
      program,
      program_tokens: countTokens(program),
      program_source: extracted.source,
      fenced_blocks: extracted.blocks,
      dropped: extracted.dropped,
      error_detail: detail,
      confirmations: { runs: attemptOutcome === "working" ? confirm : 1, working },
      ...(reply.right.batchId !== undefined ? { batch_id: reply.right.batchId } : {})
    }
    attempts.push(attempt)
    outcome = attemptOutcome
    yield* publish({ _tag: "AttemptFinished", spec, attempt })
    if (detail === null) break
    conversation = layout.repair(conversation, language, task, context, program, detail)
  }

  const finished = yield* Clock.currentTimeMillis
  // Not part of the run's time: the counts are the census's, not the language's.
  if (Option.isSome(endpoint))
    for (const [i, a] of attempts.entries()) {
      const fiber = counting.get(a.attempt)
      if (fiber !== undefined) attempts[i] = { ...a, program_tokens: { ...a.program_tokens, [endpoint.value.tokenizer]: yield* Fiber.join(fiber) } }
    }
  const busy = busyMs + attempts.reduce((ms, a) => ms + a.duration_ms, 0)
  const result = summarise(spec, settings, attempts, outcome, apiError ?? harnessError, failures - (apiError === null ? 0 : 1), busy, price, finished - started, unscored)
  return abandoned.length === 0 ? result : { ...result, abandoned_requests: abandoned }
})

/** Characters of prompt a request sends: its system blocks and messages. */
const promptChars = (sent: Conversation) =>
  sent.system.reduce((n, block) => n + block.text.length, 0) + sent.messages.reduce((n, m) => n + m.content.length, 0)

const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0)

/** The run's record: the seed's fields from the attempts, then the later harness's, then ours. */
export const summarise = (
  spec: RunSpec,
  settings: Pick<LoopSettings, "provider" | "cache" | "layout" | "batch">,
  attempts: ReadonlyArray<Attempt>,
  outcome: ProgramOutcome | "error",
  apiError: ApiFailure | null,
  apiRetries: number,
  /** Time spent in model requests and program runs. */
  wallMs: number,
  price?: Price | undefined,
  /** Start to end, waits for a free model or program slot included. */
  elapsedMs?: number | undefined,
  /** Replies billed but not scored (their program the harness could not run): in the totals, in no attempt. */
  unscored: Tokens = noTokens
): RunResult => {
  const working = outcome === "working"
  const totalInput = [...attempts.map((a) => a.input_tokens + a.cache_write_tokens + a.cache_read_tokens), unscored.input + unscored.cacheWrite + unscored.cacheRead]
  const chars = attempts.map((a) => a.program.length)
  return {
    task: spec.task.id,
    language: spec.language.name,
    model: spec.model.key,
    model_id: spec.model.id,
    generation_tokens: sum(attempts.map((a) => a.output_tokens)) + unscored.output,
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
    final_program_tokens: attempts.at(-1)?.program_tokens ?? countTokens(""),
    finish_reasons: attempts.map((a) => a.stop_reason),
    truncated_attempts: attempts.filter((a) => a.stop_reason === "max_tokens").length,
    input_cache_hit_tokens: sum(attempts.map((a) => a.cache_read_tokens)) + unscored.cacheRead,
    input_cache_write_tokens: sum(attempts.map((a) => a.cache_write_tokens)) + unscored.cacheWrite,
    input_cache_miss_tokens: sum(attempts.map((a) => a.input_tokens)) + unscored.input,
    context: spec.language.docs._tag === "IloSkills" ? spec.language.docs.context : null,
    cache_mode: settings.cache ?? "warm",
    align: (settings.layout ?? seedLayout).name === "aligned",
    api_retries: apiRetries,
    trial: spec.trial,
    reasoning_tokens: attempts.some((a) => a.reasoning_tokens === null) ? null : sum(attempts.map((a) => a.reasoning_tokens ?? 0)),
    flaky: working && (attempts.at(-1)?.confirmations?.working ?? 1) < (attempts.at(-1)?.confirmations?.runs ?? 1),
    abandoned_requests: [],
    api_error: apiError,
    ...runEconomics(attempts, price, unscored),
    ...(settings.batch === true ? { batch: true } : {}),
    ...knownIssueOf(spec),
    attempts
  }
}

const knownIssueOf = (spec: RunSpec) => {
  const note = knownIssue(spec.task, spec.language.name)
  return note !== undefined ? { known_issue: note } : {}
}

/** The run's money: its cost, its input weighted by price, and what caching saved (see the README). */
const runEconomics = (attempts: ReadonlyArray<Attempt>, price: Price | undefined, unscored: Tokens) => {
  const tokens: Tokens = addTokens(unscored, {
    input: sum(attempts.map((a) => a.input_tokens)),
    cacheWrite: sum(attempts.map((a) => a.cache_write_tokens)),
    cacheRead: sum(attempts.map((a) => a.cache_read_tokens)),
    output: sum(attempts.map((a) => a.output_tokens))
  })
  // An attempt without a cost (its reply had no usage) makes the run's unknown too: a sum over the others would pass for it.
  const priced = price !== undefined && tokens.unreported !== true && attempts.every((a) => a.cost_usd !== null) ? price : undefined
  return {
    cost_usd: priced ? roundUsd(costUsd(tokens, priced)) : null,
    effective_input_tokens: priced ? effectiveInputTokens(tokens, priced) : totalInput(tokens),
    cache_savings_usd: priced ? roundUsd(cacheSavingsUsd(tokens, priced)) : null
  }
}
