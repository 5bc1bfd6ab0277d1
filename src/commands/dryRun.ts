import { Duration, Effect } from "effect"
import { accessSync, constants } from "node:fs"
import { isAbsolute } from "node:path"
import type { Price } from "../domain/Cost.js"
import type { Language } from "../domain/Language.js"
import type { Model } from "../config/Model.js"
import type { Task } from "../domain/Task.js"
import { ERROR_DETAIL_CHARS } from "../loop/Outcome.js"
import { languageContext, type Conversation, type PromptLayout } from "../loop/Prompts.js"
import { groupDigits } from "../report/format.js"
import { ProgramRunner, resolveBinary, sandboxRecord, type Sandbox } from "../services/ProgramRunner.js"

/**
 * Characters per token assumed for the bound: fewer than any Claude or GPT tokenizer averages on
 * English and code (about 3.5 to 4), so the token counts, and the cost, are over rather than under.
 */
export const CHARS_PER_TOKEN = 3

const tokens = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN)
const conversationChars = (c: Conversation) =>
  c.system.reduce((n, b) => n + b.text.length, 0) + c.messages.reduce((n, m) => n + m.content.length, 0)

/**
 * The most input tokens each attempt of one run can send: the first prompt, then each repair built
 * by the layout from a reply as long as max_tokens allows and an error as long as the loop sends.
 * A layout puts the reply into its repairs verbatim, so each attempt's length grows linearly with
 * the reply's: the conversations are built with replies of one and two characters and the length
 * at max_tokens worked out from them, never a reply of max_tokens x 3 characters (a string that
 * large does not fit in memory for a big --max-tokens).
 */
export const attemptInputBounds = (layout: PromptLayout, language: Language, task: Task, context: string, retryCap: number, maxTokens: number) => {
  const error = "x".repeat(ERROR_DETAIL_CHARS)
  const lengths = (replyChars: number) => {
    const program = "x".repeat(replyChars)
    let conversation = layout.initial(language, task, context)
    const chars = [conversationChars(conversation)]
    for (let k = 2; k <= retryCap; k++) {
      conversation = layout.repair(conversation, language, task, context, program, error)
      chars.push(conversationChars(conversation))
    }
    return chars
  }
  const one = lengths(1)
  const two = lengths(2)
  const replyChars = maxTokens * CHARS_PER_TOKEN
  return one.map((c, k) => tokens(c + (two[k]! - c) * (replyChars - 1)))
}

/**
 * The cost of every run taking every attempt, each reply max_tokens long, every input token billed
 * at the dearer of the uncached and the cache-write price: no benchmark of this plan costs more
 * (up to the token estimate).
 */
export const costBound = (inputs: ReadonlyArray<number>, maxTokens: number, price: Price) =>
  inputs.reduce((usd, input) => usd + (input * Math.max(price.input, price.cacheWrite) + maxTokens * price.output) / 1_000_000, 0)

/** The binary a language's command runs in this sandbox, found as the run finds it; undefined if nothing runnable is there. */
const interpreterPath = (bin: string, sandbox: Sandbox) => {
  const path = resolveBinary(bin, sandbox.mode === "bwrap")
  if (!isAbsolute(path)) return undefined
  try {
    accessSync(path, constants.X_OK)
    return path
  } catch {
    return undefined
  }
}

/** The sandbox line: the mode chosen (what auto came to) and each program's limits. */
const sandboxLine = (sandbox: Sandbox, runTimeoutS: number) => {
  const record = sandboxRecord(sandbox, runTimeoutS)
  const asked = `--sandbox ${sandbox.requested}`
  if (record.limits === null) {
    const why = sandbox.mode === "none" && sandbox.why !== undefined ? `: ${sandbox.why}` : ""
    return `  Sandbox:     none (${asked}${why}); programs run unconfined`.slice(0, 100)
  }
  const l = record.limits
  return `  Sandbox:     bwrap (${asked}); each program: ${l.memory_mb} MiB memory, ${l.processes} processes, ${l.file_mb} MiB files`
}

export interface DryRunPlan {
  readonly tasks: ReadonlyArray<Task>
  readonly languages: ReadonlyArray<Language>
  readonly models: ReadonlyArray<Model>
  readonly trials: number
  readonly retryCap: number
  readonly maxTokens: number
  readonly layout: PromptLayout
  readonly priceOf: (id: string) => Price | undefined
  /** --batch: `priceOf` gives batch prices, and --max-cost does not apply. */
  readonly batch?: boolean | undefined
  readonly retired: ReadonlyArray<{ readonly id: string; readonly retires: string }>
  /** The sandbox the run would choose: it also decides where an interpreter is found. */
  readonly sandbox: Sandbox
  readonly runTimeoutS: number
  /** --shard: the runs this shard does, of the whole plan (the runs and the cost shown are the shard's). */
  readonly shard?: { readonly label: string; readonly has: (task: Task, language: Language, model: Model, trial: number) => boolean } | undefined
  /** The --lang2-* (or --python) leg's name: its binary missing, a run skips it with a warning (the seed's) instead of stopping. */
  readonly lang2?: string | undefined
}

const usd = (x: number) => `$${x < 10 ? x.toFixed(2) : groupDigits(Math.round(x))}`

/** The plan as `run --dry-run` prints it after the seed's task list: what a benchmark will do and cost at most. */
export const planLines = (p: DryRunPlan) =>
  Effect.gen(function* () {
    const runner = yield* ProgramRunner
    const lines = ["", "Plan:"]
    lines.push("  Languages:")
    for (const [i, language] of p.languages.entries()) {
      const bin = language.command[0] ?? language.name
      const missing =
        i > 0 && language.name === p.lang2
          ? "NOT FOUND (a run skips this language with a warning, as the seed did)"
          : "NOT FOUND (a run stops here: install it or pass its path)"
      const where = interpreterPath(bin, p.sandbox)
      const probe =
        where === undefined
          ? undefined
          : yield* runner.exec([where, "--version"], Duration.seconds(5)).pipe(
              Effect.map((r) => (r.exitCode === 0 ? (r.stdout.trim() || r.stderr.trim()).split("\n")[0] : undefined)),
              Effect.orElseSucceed(() => undefined)
            )
      lines.push(
        `    ${language.name.padEnd(12)} ${where === undefined ? `${bin}: ${missing}` : `${where}${probe ? `  (${probe})` : ""}`}`
      )
    }
    lines.push(sandboxLine(p.sandbox, p.runTimeoutS))
    lines.push("  Models:")
    for (const m of p.models) {
      const price = p.priceOf(m.id)
      const retired = p.retired.find((r) => r.id === m.id)
      lines.push(`    ${m.key.padEnd(12)} ${m.id}${price ? `  ($${price.input} in / $${price.output} out per million tokens)` : `  (no ${p.batch === true ? "batch" : "list"} price)`}`)
      if (retired) lines.push(`                 WARNING: retired on ${retired.retires}; requests to it are likely to fail`)
    }
    const runs = p.tasks.length * p.languages.length * p.models.length * p.trials
    const trials = Array.from({ length: p.trials }, (_, i) => i + 1)
    const inShard = (task: Task, language: Language, model: Model, trial: number) => p.shard === undefined || p.shard.has(task, language, model, trial)
    lines.push(
      `  Trials:      ${p.trials}`,
      `  Runs:        ${p.tasks.length} task(s) x ${p.languages.length} language(s) x ${p.models.length} model(s) x ${p.trials} trial(s) = ${runs}`
    )
    if (p.shard !== undefined) {
      const mine = p.models.reduce((n, m) => n + p.languages.reduce((k, l) => k + p.tasks.reduce((j, t) => j + trials.filter((i) => inShard(t, l, m, i)).length, 0), 0), 0)
      lines.push(`               Shard ${p.shard.label}: ${mine} of these ${runs} runs (the cost below is the shard's)`)
    }
    // The most input tokens of each run's attempts, per language and task: the same for every model.
    let perLanguage = 0
    const bounded: Array<{ readonly language: Language; readonly task: Task; readonly inputs: ReadonlyArray<number> }> = []
    for (const language of p.languages) {
      const context = yield* languageContext(language)
      for (const task of p.tasks) {
        const bounds = attemptInputBounds(p.layout, language, task, context, p.retryCap, p.maxTokens)
        bounded.push({ language, task, inputs: bounds })
        perLanguage = Math.max(perLanguage, bounds[0]!)
      }
    }
    const unpriced = p.models.filter((m) => p.priceOf(m.id) === undefined)
    const total = p.models.reduce((usd, m) => {
      const price = p.priceOf(m.id)
      if (price === undefined) return usd
      // Each run that this benchmark (or shard) does, at most.
      for (const b of bounded) {
        const count = trials.filter((i) => inShard(b.task, b.language, m, i)).length
        if (count > 0) usd += costBound(b.inputs, p.maxTokens, price) * count
      }
      return usd
    }, 0)
    lines.push(
      `  Cost:        at most ${usd(total)} at ${p.batch === true ? "batch" : "list"} prices${unpriced.length > 0 ? ` for the priced models (no price: ${unpriced.map((m) => m.id).join(", ")})` : ""}`,
      `               every run taking all ${p.retryCap} attempts, each reply ${groupDigits(p.maxTokens)} tokens long, prompts`,
      `               at ${CHARS_PER_TOKEN} characters a token (the largest first prompt: ${groupDigits(perLanguage)} tokens).`,
      p.batch === true
        ? `               --batch: in waves of batches, so --max-cost cannot stop it run by run.`
        : `               --max-cost USD stops starting runs once that much is spent.`
    )
    return lines
  })
