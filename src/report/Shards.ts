import type { RunConfig } from "../domain/RunConfig.js"
import { configDifferences, RESULT_SETTINGS } from "../session/Resume.js"
import type { CheckpointHeader, SkillHash } from "../domain/Checkpoint.js"

/** What a file says of the shard it holds (`--shard`), read from its configuration. */
export interface ShardOfFile {
  readonly index: number
  readonly count: number
}

/** The configuration's shard, if it records a well-formed one. */
export const shardOfConfig = (config: Readonly<Record<string, unknown>> | undefined): ShardOfFile | undefined => {
  const shard = config?.["shard"]
  if (typeof shard !== "object" || shard === null) return undefined
  const { index, count } = shard as { index?: unknown; count?: unknown }
  return typeof index === "number" && typeof count === "number" ? { index, count } : undefined
}

/** A file that holds one shard: which, of what benchmark (its configuration and skill modules). */
export interface ShardFile {
  readonly file: string
  readonly shard: ShardOfFile
  readonly config: Readonly<Record<string, unknown>>
  readonly skills: ReadonlyArray<SkillHash>
}

/** The settings that make two shards parts of the same benchmark: what changes results, the shard aside, and the count. */
const identity = (f: ShardFile) => {
  const settings = { config: f.config as unknown as RunConfig, skills: f.skills }
  const values = RESULT_SETTINGS.filter(([name]) => !name.startsWith("shard")).map(([, get]) => {
    try {
      return get(settings)
    } catch {
      return undefined // a field an older harness did not record
    }
  })
  return JSON.stringify([f.shard.count, values])
}

const label = (s: ShardOfFile) => `${s.index}/${s.count}`
const list = (xs: ReadonlyArray<string>) => (xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs.at(-1)}`)

/**
 * What is wrong with a set of shard files meant to merge into one benchmark: shards missing (named),
 * a shard given twice, and files that are shards of another benchmark (another configuration or
 * tasks file: what differs is named). Empty when every shard 1..N of one benchmark is there once.
 */
export const shardProblems = (files: ReadonlyArray<ShardFile>): ReadonlyArray<string> => {
  if (files.length === 0) return []
  const groups = new Map<string, Array<ShardFile>>()
  for (const f of files) {
    const key = identity(f)
    groups.set(key, [...(groups.get(key) ?? []), f])
  }
  const out: Array<string> = []
  const [first, ...others] = [...groups.values()]
  const reference = first![0]!
  for (const group of others) {
    const f = group[0]!
    const asHeader = { config: reference.config, skills: reference.skills } as unknown as CheckpointHeader
    const differences = configDifferences(asHeader, { config: f.config as unknown as RunConfig, skills: f.skills })
      .filter((d) => !d.startsWith("shard"))
      .map((d) => d.replace(/checkpoint /g, `${reference.file} `).replace(/, now /g, `, ${f.file} `))
    const what = f.shard.count !== reference.shard.count ? [`${reference.shard.count} shards, ${f.shard.count} shards`] : []
    out.push(
      `Shards of different benchmarks: ${list(group.map((g) => `${g.file} (shard ${label(g.shard)})`))} ${group.length === 1 ? "is" : "are"} not of the benchmark of ${reference.file}` +
        ` (${[...what, ...differences].join("; ") || "another configuration"}); they do not merge into one result.`
    )
  }
  for (const group of groups.values()) {
    const count = group[0]!.shard.count
    const seen = new Map<number, Array<string>>()
    for (const g of group) seen.set(g.shard.index, [...(seen.get(g.shard.index) ?? []), g.file])
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i))
    if (missing.length > 0)
      out.push(
        `Shard(s) missing: ${list(missing.map((i) => `${i}/${count}`))} of the benchmark of ${list(group.map((g) => g.file))}` +
          ` (given: ${list([...seen.keys()].sort((a, b) => a - b).map((i) => `${i}/${count}`))}); the runs of the missing shard(s) have no result.`
      )
    for (const [index, given] of seen)
      if (given.length > 1) out.push(`Shard ${index}/${count} was given ${given.length} times (${list(given)}); the later file's runs are shown.`)
  }
  return out
}
