/** What a run was asked to do, recorded in its reports so results can be compared and trusted. No secrets. */
export interface RunConfig {
  readonly harness_version: string
  readonly provider: string
  readonly base_url: string | null
  /** What `<ilo> --version` printed. */
  readonly ilo_version: string
  readonly tasks_file: string
  readonly tasks_sha256: string
  readonly task_filter: string | null
  readonly languages: ReadonlyArray<{
    readonly name: string
    readonly command: ReadonlyArray<string>
    readonly extension: string
    readonly docs: string
    /** What the leg's version command printed, first line. */
    readonly version?: string | null
  }>
  readonly models: ReadonlyArray<{ readonly key: string; readonly id: string }>
  readonly retry_cap: number
  readonly max_tokens: number
  readonly request_timeout_s: number
  readonly run_timeout_s: number
  readonly concurrency: number
  readonly api_retries: number
  readonly prompt_layout: string
  /** The ilo context set: its name and modules (their hashes are in the report's skills). */
  readonly context: { readonly name: string; readonly modules: ReadonlyArray<string> }
  /** Set when the user let descriptions that name a language run anyway. */
  readonly allow_language_named: boolean
  readonly trials?: number
  /** --confirm N: each program that worked ran N times in all (absent: 1, the seed's single run). */
  readonly confirm?: number
  readonly temperature?: number | null
  readonly thinking_budget?: number | null
  /** Cassette paths as given; a replayed run's results match the recording's. */
  readonly cassette?: { readonly record: string | null; readonly replay: string | null; readonly fallthrough: boolean }
  /** "warm", or "cold": a nonce defeats the provider's prompt cache. */
  readonly prompt_cache: string
  readonly max_cost_usd: number | null
  readonly rpm: number | null
  readonly program_concurrency: number
  /** The sandbox programs ran in ("bwrap" or "none"), what --sandbox asked for, and its limits (null without one). */
  readonly sandbox?: {
    readonly mode: "bwrap" | "none"
    readonly requested: string
    readonly limits: { readonly memory_mb: number; readonly processes: number; readonly file_mb: number; readonly cpu_s: number } | null
  }
  /**
   * --shard: this file holds shard `index` of `count` of the benchmark (runs assigned by a hash of
   * task, language, model and trial), `planned_runs` of its `total_runs`; null or absent: the whole plan.
   */
  readonly shard?: { readonly index: number; readonly count: number; readonly from: string; readonly total_runs: number } | null
  /** The list prices costs were computed with, by model id (null: not in the catalog). */
  readonly prices: Readonly<Record<string, { readonly input: number; readonly output: number; readonly cacheWrite: number; readonly cacheRead: number } | null>>
}
