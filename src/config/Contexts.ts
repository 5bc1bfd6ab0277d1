import { FileSystem } from "@effect/platform"
import { Effect, Schema } from "effect"
import { InvalidFlag } from "../domain/errors.js"
import { ILO_DEFAULT_MODULES } from "../domain/Language.js"

/** Named sets of ilo skill modules: which documentation the model reads is a measurement input. */
const ContextsFile = Schema.Struct({
  contexts: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ modules: Schema.NonEmptyArray(Schema.String), description: Schema.optional(Schema.String) })
  })
})

export const DEFAULT_CONTEXT = "default"

export interface ContextSet {
  readonly name: string
  readonly modules: ReadonlyArray<string>
}

/** The modules of the named context; the seed's five when the file has no "default" entry. */
export const resolveContext = (file: string, name: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(Effect.orElseSucceed(() => undefined))
    const parsed = text === undefined ? undefined : yield* Schema.decodeUnknown(Schema.parseJson(ContextsFile))(text).pipe(
      Effect.mapError(() => new InvalidFlag({ flag: "--context", reason: `${file} is not a valid contexts file` }))
    )
    const found = parsed?.contexts[name]
    if (found !== undefined) return { name, modules: found.modules } satisfies ContextSet
    if (name === DEFAULT_CONTEXT) return { name, modules: ILO_DEFAULT_MODULES } satisfies ContextSet
    const known = parsed ? Object.keys(parsed.contexts).join(", ") : "none"
    return yield* new InvalidFlag({ flag: "--context", reason: `unknown context '${name}' (known: ${known})` })
  })
