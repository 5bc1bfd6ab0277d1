import { Schema } from "effect"

const Price = Schema.Struct({ input: Schema.Number, output: Schema.Number, cacheWrite: Schema.Number, cacheRead: Schema.Number })

export const RunConfig = Schema.Struct({
  harness_version: Schema.String,
  provider: Schema.String,
  base_url: Schema.NullOr(Schema.String),
  ilo_version: Schema.String.annotations({ description: "What `<ilo> --version` printed." }),
  tasks_file: Schema.String,
  tasks_sha256: Schema.String,
  task_filter: Schema.NullOr(Schema.String),
  languages: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      command: Schema.Array(Schema.String),
      extension: Schema.String,
      docs: Schema.String,
      version: Schema.optional(Schema.NullOr(Schema.String))
    })
  ),
  models: Schema.Array(Schema.Struct({ key: Schema.String, id: Schema.String })),
  retry_cap: Schema.Number,
  max_tokens: Schema.Number,
  request_timeout_s: Schema.Number,
  run_timeout_s: Schema.Number,
  concurrency: Schema.Number,
  api_retries: Schema.Number,
  prompt_layout: Schema.String,
  context: Schema.Struct({ name: Schema.String, modules: Schema.Array(Schema.String) }),
  allow_language_named: Schema.Boolean,
  trials: Schema.optional(Schema.Number),
  /** --confirm N: a program that worked ran N times in all (absent: 1). */
  confirm: Schema.optional(Schema.Number),
  temperature: Schema.optional(Schema.NullOr(Schema.Number)),
  thinking_budget: Schema.optional(Schema.NullOr(Schema.Number)),
  cassette: Schema.optional(
    Schema.Struct({ record: Schema.NullOr(Schema.String), replay: Schema.NullOr(Schema.String), fallthrough: Schema.Boolean })
  ),
  prompt_cache: Schema.String,
  batch: Schema.optional(Schema.Boolean).annotations({
    description: "--batch: the requests went in Message Batches (waves), and costs are at the batch price."
  }),
  count_tokens: Schema.optional(Schema.Literal("none", "anthropic")).annotations({
    description: "--count-tokens: a token counting endpoint counted programs and documentation too (absent: none)."
  }),
  max_cost_usd: Schema.NullOr(Schema.Number),
  rpm: Schema.NullOr(Schema.Number),
  program_concurrency: Schema.Number,
  sandbox: Schema.optional(
    Schema.Struct({
      mode: Schema.Literal("bwrap", "none"),
      requested: Schema.String,
      limits: Schema.NullOr(Schema.Struct({ memory_mb: Schema.Number, processes: Schema.Number, file_mb: Schema.Number, cpu_s: Schema.Number }))
    }).annotations({ description: "The sandbox programs ran in, what --sandbox asked for, and its limits (null without one)." })
  ),
  shard: Schema.optional(
    Schema.NullOr(Schema.Struct({ index: Schema.Number, count: Schema.Number, from: Schema.String, total_runs: Schema.Number }))
  ).annotations({
    description: "--shard: this file holds shard `index` (from 1) of `count` of the benchmark, `planned_runs` of its `total_runs`; `from` names the flag or the job engine's variable."
  }),
  prices: Schema.Record({ key: Schema.String, value: Schema.NullOr(Price) }).annotations({
    description: "The list prices costs were computed with, by model id (null: not in the catalog)."
  })
}).annotations({ identifier: "RunConfig", description: "What the run was asked to do: every setting that shapes results; never a key." })

/** What a run was asked to do, recorded in its reports so results can be compared and trusted. No secrets. */
export type RunConfig = typeof RunConfig.Type
