import { FileSystem } from "@effect/platform"
import { Console, Duration, Effect } from "effect"
import { DocsFileError, IloNotRunnable } from "../domain/errors.js"
import type { Language } from "../domain/Language.js"
import type { ContextSet } from "./Contexts.js"
import { ProgramRunner } from "../services/ProgramRunner.js"

const PROBE_TIMEOUT = Duration.seconds(5)

export interface LegFlags {
  readonly ilo: string
  readonly context: ContextSet
  readonly lang2?: { readonly name: string; readonly bin: string; readonly ext: string } | undefined
  readonly lang2Docs?: string | undefined
}

export interface Legs {
  readonly languages: ReadonlyArray<Language>
  /** Languages asked for that will not run, and why: the report says so. */
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>
  readonly iloVersion: string
}

/** A docs file for a language: missing or empty is an error, never a silent fallback. */
export const readDocs = (file: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.readFileString(file).pipe(
      Effect.mapError(
        (e) =>
          new DocsFileError({
            path: file,
            reason: e._tag === "SystemError" && e.reason === "NotFound" ? "not found" : e.message
          })
      ),
      Effect.filterOrFail(
        (text) => text.trim() !== "",
        () => new DocsFileError({ path: file, reason: "is empty" })
      )
    )
  )

export const iloLanguage = (bin: string, context: ContextSet): Language => ({
  name: "ilo",
  command: [bin, "{file}", "main"],
  extension: ".ilo",
  docs: { _tag: "IloSkills", context: context.name, modules: context.modules }
})

/** The languages a run compares: ilo (which must answer --version), then the second language if it can start. */
export const resolveLegs = (flags: LegFlags) =>
  Effect.gen(function* () {
    const runner = yield* ProgramRunner
    const iloProbe = yield* runner.exec([flags.ilo, "--version"], PROBE_TIMEOUT).pipe(
      Effect.mapError((e) => new IloNotRunnable({ bin: flags.ilo, reason: e.message })),
      Effect.filterOrFail(
        (run) => run.exitCode === 0,
        (run) =>
          new IloNotRunnable({ bin: flags.ilo, reason: run.timedOut ? "--version timed out" : `--version exited ${run.exitCode}` })
      )
    )
    const docsText = flags.lang2Docs !== undefined ? yield* readDocs(flags.lang2Docs) : undefined
    const languages: Array<Language> = [iloLanguage(flags.ilo, flags.context)]
    const skipped: Array<{ name: string; reason: string }> = []
    const lang2 = flags.lang2
    if (lang2 !== undefined) {
      // As in the seed: only a binary that cannot start (or hangs) is skipped; its exit code is not judged.
      const probe = yield* runner.exec([lang2.bin, "--version"], PROBE_TIMEOUT).pipe(Effect.either)
      const reason =
        probe._tag === "Left"
          ? `${lang2.bin} not found (${probe.left.message})`
          : probe.right.timedOut
            ? `${lang2.bin} --version timed out`
            : undefined
      if (reason !== undefined) {
        yield* Console.error(`WARNING: lang2 binary not found: ${lang2.bin}. Skipping second language.`)
        skipped.push({ name: lang2.name, reason })
      } else {
        languages.push({
          name: lang2.name,
          command: [lang2.bin, "{file}"],
          extension: lang2.ext,
          docs:
            docsText !== undefined && flags.lang2Docs !== undefined
              ? { _tag: "File", path: flags.lang2Docs, text: docsText }
              : { _tag: "None" }
        })
      }
    }
    return { languages, skipped, iloVersion: iloProbe.stdout.trim() } satisfies Legs
  })

export const docsLabel = (language: Language) =>
  language.docs._tag === "IloSkills"
    ? `ilo context '${language.docs.context}': ${language.docs.modules.join(", ")}`
    : language.docs._tag === "File"
      ? `file ${language.docs.path}`
      : "none"
