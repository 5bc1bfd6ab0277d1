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
  }>
  readonly models: ReadonlyArray<{ readonly key: string; readonly id: string }>
  readonly retry_cap: number
  readonly max_tokens: number
  readonly request_timeout_s: number
  readonly run_timeout_s: number
  readonly concurrency: number
  readonly api_retries: number
  readonly prompt_layout: string
  /** "warm", or "cold": a nonce defeats the provider's prompt cache. */
  readonly prompt_cache: string
  readonly max_cost_usd: number | null
  readonly rpm: number | null
  readonly program_concurrency: number
  /** The list prices costs were computed with, by model id (null: not in the catalog). */
  readonly prices: Readonly<Record<string, { readonly input: number; readonly output: number; readonly cacheWrite: number; readonly cacheRead: number } | null>>
}
