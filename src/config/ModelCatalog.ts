import { Effect, Schema } from "effect"
import { ModelCatalogError } from "../domain/errors.js"
import { readText } from "../platform/readText.js"
import type { Price } from "../domain/Cost.js"

const Entry = Schema.Struct({
  alias: Schema.String,
  id: Schema.String,
  provider: Schema.String,
  input: Schema.Number,
  output: Schema.Number,
  cache_write: Schema.Number,
  cache_read: Schema.Number,
  /** The Message Batches price (--batch), where the provider has one in ilo-bench. */
  batch: Schema.optional(Schema.Struct({ input: Schema.Number, output: Schema.Number, cache_write: Schema.Number, cache_read: Schema.Number })),
  /** The day the provider stops serving it (YYYY-MM-DD), where announced. */
  retires: Schema.NullOr(Schema.String),
  /** Where and when this entry's prices were read, where not the file's (another provider's page). */
  checked: Schema.optional(Schema.String),
  source: Schema.optional(Schema.String),
  note: Schema.optional(Schema.String)
})
export type CatalogEntry = typeof Entry.Type

const CatalogFile = Schema.Struct({
  checked: Schema.String,
  source: Schema.String,
  models: Schema.Array(Entry)
})

/** The model catalog (bench/models.json): aliases, ids, list prices and retirement dates. */
export interface ModelCatalog {
  readonly checked: string
  readonly entries: ReadonlyArray<CatalogEntry>
  /** The entry a --model value or a model id names, if any. */
  readonly find: (aliasOrId: string) => CatalogEntry | undefined
  readonly priceOf: (modelId: string) => Price | undefined
  /** The price of a request sent in a Message Batch (--batch). */
  readonly batchPriceOf: (modelId: string) => Price | undefined
}

export const makeCatalog = (checked: string, entries: ReadonlyArray<CatalogEntry>): ModelCatalog => {
  const find = (name: string) => entries.find((e) => e.alias === name) ?? entries.find((e) => e.id === name)
  return {
    checked,
    entries,
    find,
    priceOf: (id) => {
      const e = entries.find((entry) => entry.id === id)
      return e && { input: e.input, output: e.output, cacheWrite: e.cache_write, cacheRead: e.cache_read }
    },
    batchPriceOf: (id) => {
      const b = entries.find((entry) => entry.id === id)?.batch
      return b && { input: b.input, output: b.output, cacheWrite: b.cache_write, cacheRead: b.cache_read }
    }
  }
}

export const parseCatalog = (file: string, text: string) =>
  Effect.try({ try: () => JSON.parse(text) as unknown, catch: (e) => new ModelCatalogError({ path: file, reason: `not JSON (${(e as Error).message})` }) }).pipe(
    Effect.flatMap((json) =>
      Schema.decodeUnknown(CatalogFile)(json).pipe(Effect.mapError((e) => new ModelCatalogError({ path: file, reason: e.message })))
    ),
    Effect.map((c) => makeCatalog(c.checked, c.models))
  )

export const loadCatalog = (file: string) =>
  readText(file, (reason) => new ModelCatalogError({ path: file, reason })).pipe(Effect.flatMap((text) => parseCatalog(file, text)))

/** Models of this run that the catalog says are retired on `today` (YYYY-MM-DD). */
export const retiredModels = (catalog: ModelCatalog, ids: ReadonlyArray<string>, today: string) =>
  ids.flatMap((id) => {
    const e = catalog.find(id)
    return e?.retires != null && e.retires <= today ? [{ id, retires: e.retires }] : []
  })
