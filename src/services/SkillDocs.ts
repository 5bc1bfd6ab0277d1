import { FileSystem, Path } from "@effect/platform"
import { Context, Duration, Effect, Layer, Ref } from "effect"
import { sha256, universalNewlines } from "../domain/text.js"
import { ProgramRunner } from "./ProgramRunner.js"

/** One module of ilo's documentation, with where it came from, so a report can say what the model read. */
export interface SkillModule {
  readonly module: string
  readonly text: string
  /** "ilo skill get", the file it was read from, or "placeholder". */
  readonly source: string
  readonly sha256: string
  readonly bytes: number
}

export interface SkillDocsOptions {
  readonly iloBin: string
  readonly skillsDir: string
  /** Files under this folder are recorded by their path relative to it (reports name no machine's layout). */
  readonly relativeTo?: string | undefined
}

export class SkillDocs extends Context.Tag("ilo-bench/SkillDocs")<
  SkillDocs,
  {
    /** A module's text; fetched once per process however many runs ask, even at once. */
    readonly get: (module: string) => Effect.Effect<SkillModule>
    /** Every module handed out so far, in the order first asked. */
    readonly loaded: Effect.Effect<ReadonlyArray<SkillModule>>
    /** The modules' texts as a prompt sends them, blank-line separated; joined once per set of modules. */
    readonly joined: (modules: ReadonlyArray<string>) => Effect.Effect<string>
  }
>() {
  /** The service from `get` and `loaded`; `joined` is built on `get`. */
  static make = (impl: Omit<Context.Tag.Service<SkillDocs>, "joined">): Context.Tag.Service<SkillDocs> => {
    // Every run asks for its language's documentation; the text is joined once, not per run.
    const known = new Map<string, string>()
    const joined = (modules: ReadonlyArray<string>) => {
      const key = modules.join("\n")
      const text = known.get(key)
      if (text !== undefined) return Effect.succeed(text)
      return Effect.forEach(modules, impl.get).pipe(
        Effect.map((mods) => mods.map((m) => m.text).join("\n\n")),
        Effect.tap((text) => Effect.sync(() => known.set(key, text)))
      )
    }
    return { ...impl, joined }
  }
}

const SKILL_GET_TIMEOUT = Duration.seconds(10)

const skillModule = (module: string, raw: string, source: string): SkillModule => {
  const text = universalNewlines(raw)
  return { module, text, source, sha256: sha256(text), bytes: Buffer.byteLength(text, "utf8") }
}

export const layer = (options: SkillDocsOptions) =>
  Layer.effect(
    SkillDocs,
    Effect.gen(function* () {
      const runner = yield* ProgramRunner
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const loaded = yield* Ref.make<ReadonlyArray<SkillModule>>([])

      const fromIlo = (module: string) =>
        runner.exec([options.iloBin, "skill", "get", module], SKILL_GET_TIMEOUT).pipe(
          Effect.option,
          Effect.map((run) =>
            run._tag === "Some" && run.value.exitCode === 0 && run.value.stdout.trim() !== ""
              ? skillModule(module, run.value.stdout, "ilo skill get")
              : undefined
          )
        )

      const fromFile = (module: string) => {
        const file = path.join(options.skillsDir, `${module}.md`)
        return fs.readFileString(file).pipe(
          Effect.map((text) => {
            const shown = options.relativeTo === undefined ? file : path.relative(options.relativeTo, file)
            return skillModule(module, text, shown.startsWith("..") ? file : shown)
          }),
          Effect.orElseSucceed(() => undefined)
        )
      }

      const load = (module: string) =>
        Effect.gen(function* () {
          const found = (yield* fromIlo(module)) ?? (yield* fromFile(module))
          if (found !== undefined) return found
          yield* Effect.logWarning(
            `skill module ${module}: not from '${options.iloBin} skill get' nor ${options.skillsDir}; sending a placeholder`
          )
          return skillModule(module, `# ${module}\n(skill module not found)\n`, "placeholder")
        }).pipe(Effect.tap((m) => Ref.update(loaded, (all) => [...all, m])))

      const get = yield* Effect.cachedFunction(load)
      return SkillDocs.make({ get, loaded: Ref.get(loaded) })
    })
  )
