import { CHECKPOINT_FORMAT, type CheckpointHeader, type CheckpointReply } from "../../src/domain/Checkpoint.js"
import type { RunResult } from "../../src/domain/Result.js"
import type { RunConfig } from "../../src/domain/RunConfig.js"
import { summarise } from "../../src/loop/ClosedLoop.js"
import { settings, spec, task } from "./layers.js"

/** A run configuration as the run command records it. */
export const config = (partial: Partial<RunConfig> = {}): RunConfig => ({
  harness_version: "0.1.0",
  provider: "anthropic",
  base_url: null,
  ilo_version: "ilo 0.11.6",
  tasks_file: "tasks.json",
  tasks_sha256: "a".repeat(64),
  task_filter: null,
  languages: [{ name: "python", command: ["python3", "{file}"], extension: ".py", docs: "none" }],
  models: [{ key: "haiku", id: "claude-haiku-4-5" }],
  retry_cap: 5,
  max_tokens: 1024,
  request_timeout_s: 90,
  run_timeout_s: 20,
  concurrency: 4,
  api_retries: 6,
  prompt_layout: "seed",
  context: { name: "default", modules: ["ilo-language"] },
  allow_language_named: false,
  prompt_cache: "warm",
  max_cost_usd: null,
  rpm: null,
  program_concurrency: 2,
  prices: {},
  ...partial
})

/** A checkpoint header for that configuration. */
export const header = (partial: Partial<RunConfig> = {}): CheckpointHeader => ({
  type: "header",
  format: CHECKPOINT_FORMAT,
  started: "2026-11-25T10:00:00.000Z",
  harness_version: "0.1.0",
  config: config(partial),
  skills: [{ module: "ilo-language", source: "ilo skill get", sha256: "b".repeat(64), bytes: 10 }]
})

/** A finished run with one working attempt whose program says which task it was. */
export const result = (id: string, outcome: RunResult["final_outcome"] = "working"): RunResult =>
  summarise(
    spec({ task: task(id) }),
    settings(),
    outcome === "error"
      ? []
      : [
          {
            attempt: 1,
            outcome,
            input_tokens: 100,
            cache_write_tokens: 0,
            cache_read_tokens: 0,
            output_tokens: 12,
            reasoning_tokens: 0,
            total_input_tokens: 100,
            cost_usd: null,
            stop_reason: "end_turn",
            model_id: "claude-haiku-4-5",
            exit_code: 0,
            timed_out: false,
            duration_ms: 5,
            unfenced: false,
            program: `print("${id}")\n# a "quoted" line\twith a tab`,
            error_detail: null
          }
        ],
    outcome,
    outcome === "error" ? { attempt: 1, kind: "server", status: 500, request_id: null, message: "scripted" } : null,
    0,
    1234
  )


/** A model reply recorded in a checkpoint for attempt `attempt` of a task's run (python, haiku, trial 1). */
export const replyLine = (id: string, attempt: number, text = `print("${id}")`): CheckpointReply => ({
  type: "reply",
  task: id,
  language: "python",
  model: "haiku",
  trial: 1,
  attempt,
  reply: {
    text,
    usage: { input: 100, cacheWrite: 20, cacheRead: 300, output: 12, reasoning: 0 },
    stopReason: "end_turn",
    model: "claude-haiku-4-5",
    requestId: `req_${id}_${attempt}`
  },
  request_ms: 250,
  api_retries: 1
})
