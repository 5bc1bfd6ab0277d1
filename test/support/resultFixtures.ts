import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** Small result files in the shapes the report command reads; tests write them to a temp directory. */

type Outcome = "working" | "partial" | "failed" | "error"

/** A run in the seed's record shape (closed-loop-bench.py, first format). */
export const seedRow = (task: string, language: string, model: string, outcome: Outcome, gen = 100, input = 1000, attempts = 1) => ({
  task,
  language,
  model,
  model_id: `id-${model}`,
  generation_tokens: gen,
  input_tokens: input,
  repair_tokens_by_turn: Array.from({ length: attempts - 1 }, () => 10),
  attempts_to_success: outcome === "working" ? attempts : null,
  attempts_total: attempts,
  success_rate: outcome === "working" ? 1.0 : 0.0,
  wall_time_s: 1.5,
  final_outcome: outcome
})

/** The later closed-loop-bench.py record: cache and cost fields beside the seed's. */
export const laterRow = (task: string, language: string, model: string, outcome: Outcome, cost: number, extra: Record<string, unknown> = {}) => ({
  ...seedRow(task, language, model, outcome),
  provider: "openai",
  cache_mode: "warm",
  input_cache_hit_tokens: 800,
  input_cache_miss_tokens: 200,
  cost_usd: cost,
  effective_input_tokens: 300,
  cache_savings_usd: 0.001,
  generated_chars: 40,
  final_code_chars: 40,
  code_chars_by_turn: [40],
  finish_reasons: ["stop"],
  truncated_attempts: 0,
  ...extra
})

export const seedFile = (results: ReadonlyArray<unknown>) => ({
  generated: "2026-08-03T23:01:51.512528+00:00",
  harness: "closed-loop-bench.py",
  ticket: "ILO-364",
  results
})

export const laterFile = (leg: string, results: ReadonlyArray<unknown>) => ({
  generated: "2026-09-18T20:13:22.400293+00:00",
  harness: "closed-loop-bench.py",
  ticket: "ILO-364",
  cache_mode: "warm-align-curated",
  leg,
  results
})

/** An attempt in this project's record shape. */
export const attempt = (n: number, outcome: "working" | "partial" | "failed", program: string, error: string | null, output = 20) => ({
  attempt: n,
  outcome,
  input_tokens: 500,
  cache_write_tokens: 0,
  cache_read_tokens: 0,
  output_tokens: output,
  reasoning_tokens: 0,
  total_input_tokens: 500,
  cost_usd: null as number | null,
  stop_reason: "end_turn",
  model_id: "claude-haiku-4-5",
  exit_code: outcome === "failed" ? 1 : 0,
  timed_out: false,
  duration_ms: 12,
  unfenced: false,
  program,
  error_detail: error
})

/** A run in this project's full RunResult shape. */
export const iloBenchRow = (task: string, language: string, model: string, attempts: ReadonlyArray<ReturnType<typeof attempt>>) => {
  const last = attempts.at(-1)
  const working = last?.outcome === "working"
  return {
    ...seedRow(task, language, model, last?.outcome ?? "error", attempts.reduce((n, a) => n + a.output_tokens, 0), 500 * attempts.length, attempts.length),
    attempts_to_success: working ? attempts.length : null,
    repair_tokens_by_turn: attempts.slice(1).map((a) => a.output_tokens),
    provider: "anthropic",
    generated_chars: 10,
    final_code_chars: 10,
    code_chars_by_turn: attempts.map(() => 10),
    finish_reasons: attempts.map((a) => a.stop_reason),
    truncated_attempts: 0,
    input_cache_hit_tokens: 0,
    input_cache_write_tokens: 0,
    input_cache_miss_tokens: 500 * attempts.length,
    api_retries: 0,
    api_error: null,
    attempts
  }
}

export const iloBenchFile = (results: ReadonlyArray<unknown>, complete = true) => ({
  generated: "2026-11-20T10:00:00.000Z",
  harness: "ilo-bench",
  harness_version: "0.1.0",
  complete,
  config: {
    harness_version: "0.1.0",
    provider: "anthropic",
    retry_cap: 3,
    max_tokens: 1024,
    languages: [{ name: "ilo", command: ["ilo", "{file}", "main"], extension: ".ilo", docs: "ilo skill modules: ilo-language" }],
    models: [{ key: "haiku", id: "claude-haiku-4-5" }]
  },
  skills: [{ module: "ilo-language", source: "ilo skill get", sha256: "ab".repeat(32), bytes: 1234 }],
  notes: ["A note from the run."],
  results
})

export const tempDir = () => mkdtempSync(join(tmpdir(), "ilo-bench-report-"))

/** Writes `content` (JSON-encoded unless a string) to `dir/name` and returns the path. */
export const writeFixture = (dir: string, name: string, content: unknown) => {
  const file = join(dir, name)
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content, null, 2))
  return file
}

/** One attempt as the ilo project's latest harness traces it (attempt_trace). */
export const traceStep = (n: number, outcome: "working" | "partial" | "failed", thinking: number | null, extra: Record<string, unknown> = {}) => ({
  attempt: n,
  billed: true,
  code: outcome === "working" ? "good\n" : "bad\n",
  code_chars: 5,
  stderr: outcome === "working" ? "" : "ILO-T004 undefined variable\n",
  stdout: outcome === "working" ? "ok\n" : "",
  rc: outcome === "failed" ? 1 : 0,
  outcome,
  thinking_tokens: thinking,
  generation_tokens: 60,
  input_tokens: 400,
  cache_hit_tokens: 0,
  cache_creation_tokens: 0,
  served_model: "claude-haiku-4-5",
  finish_reason: "end_turn",
  api_error: null,
  ...extra
})

/** A run in the ilo project's latest shape: thinking and code tokens, served models, the attempts traced. */
export const tracedRow = (task: string, language: string, trace: ReadonlyArray<ReturnType<typeof traceStep>>, extra: Record<string, unknown> = {}) => {
  const last = trace.at(-1)!
  const unknown = trace.filter((t) => t.thinking_tokens === null).length
  const thinking = trace.reduce((n, t) => n + (t.thinking_tokens ?? 0), 0)
  return {
    ...seedRow(task, language, "haiku", last.outcome, 60 * trace.length, 400 * trace.length, trace.length),
    served_models: [...new Set(trace.map((t) => t.served_model))],
    thinking_tokens: unknown === trace.length ? null : thinking,
    thinking_unknown_attempts: unknown,
    code_tokens: unknown > 0 ? null : 60 * trace.length - thinking,
    generated_chars: 5 * trace.length,
    final_code_chars: 5,
    code_chars_by_turn: trace.map(() => 5),
    input_cache_hit_tokens: 0,
    input_cache_miss_tokens: 400 * trace.length,
    attempt_trace: trace,
    ...extra
  }
}

export const tracedFile = (results: ReadonlyArray<unknown>, extra: Record<string, unknown> = {}) => ({
  generated: "fixture",
  harness: "closed-loop-bench.py --emit-fixture",
  ticket: "ILO-364",
  note: "Synthetic cells, not a measurement.",
  lang_arms: ["ilo", "python"],
  leg: null,
  results,
  ...extra
})
