import { Path } from "@effect/platform"
import { Console, Duration, Effect, Either, Schema } from "effect"
import { DocsFileError, IloNotRunnable, InvalidFlag } from "../domain/errors.js"
import { ILO_DEFAULT_MODULES, type Language } from "../domain/Language.js"
import { LanguageCatalogError, LanguageCatalog, parseInlineLeg, type LegDescription } from "./LanguageCatalog.js"
import { ProgramRunner } from "../services/ProgramRunner.js"
import type { ContextSet } from "./Contexts.js"
import { readText } from "../platform/readText.js"
import { firstIssue } from "../domain/schemaIssue.js"

const PROBE_TIMEOUT = Duration.seconds(5)

export interface LegFlags {
  readonly ilo: string
  /** The ilo context set: which skill modules ilo's leg sends. */
  readonly context: ContextSet
  /** --lang2-name/--lang2-bin/--lang2-ext (or --python): one more leg, described by flags. */
  readonly lang2?: { readonly name: string; readonly bin: string; readonly ext: string } | undefined
  readonly lang2Docs?: string | undefined
  /** --lang values: a catalog name, or NAME:CMD:EXT[:DOCS]. */
  readonly langs?: ReadonlyArray<string> | undefined
  /** The language catalog (bench/languages.json); ilo's leg is described there too. */
  readonly catalogFile: string
  /** false (a dry run): check names, catalog and docs, but start no binary; every leg is kept. */
  readonly probe?: boolean | undefined
}

export interface Legs {
  readonly languages: ReadonlyArray<Language>
  /** Languages asked for that will not run, and why: the report says so. */
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>
  readonly iloVersion: string
}

/** A docs file for a language: missing or empty is an error, never a silent fallback. */
export const readDocs = (file: string) =>
  readText(file, (reason) => new DocsFileError({ path: file, reason })).pipe(
    Effect.filterOrFail(
      (text) => text.trim() !== "",
      () => new DocsFileError({ path: file, reason: "is empty" })
    )
  )

/** ilo's leg when no catalog says otherwise: the seed's command and its five skill modules. */
export const ILO_LEG: LegDescription = {
  name: "ilo",
  command: ["ilo", "{file}", "main"],
  extension: ".ilo",
  skills: ILO_DEFAULT_MODULES,
  version: ["ilo", "--version"]
}

export const iloLanguage = (bin: string, context: ContextSet): Language =>
  toLanguage(withContext(withBinary(ILO_LEG, bin), context), undefined)

/** The same leg with another binary in the run and version commands (ilo's comes from --ilo). */
const withBinary = (leg: LegDescription, bin: string): LegDescription => ({
  ...leg,
  command: [bin, ...leg.command.slice(1)],
  version: [bin, ...leg.version.slice(1)]
})

/** ilo's leg sends the modules of the chosen context set, and records its name. */
const withContext = (leg: LegDescription, context: ContextSet): LegDescription & { readonly context: string } => ({
  ...leg,
  skills: context.modules,
  context: context.name
})

const toLanguage = (leg: LegDescription & { readonly context?: string }, docs: { path: string; text: string } | undefined, version?: string): Language => ({
  name: leg.name,
  command: leg.command,
  extension: leg.extension,
  docs:
    leg.skills !== undefined
      ? { _tag: "IloSkills", context: leg.context ?? "default", modules: leg.skills }
      : docs !== undefined
        ? { _tag: "File", path: docs.path, text: docs.text }
        : { _tag: "None" },
  ...(version !== undefined ? { version } : {})
})

/** The bundled (or given) catalog of languages. */
export const loadCatalog = (file: string) =>
  Effect.gen(function* () {
    const text = yield* readText(file, (reason) => new LanguageCatalogError({ path: file, reason }))
    const decoded = Schema.decodeUnknownEither(Schema.parseJson(LanguageCatalog))(text)
    if (Either.isLeft(decoded))
      return yield* new LanguageCatalogError({ path: file, reason: firstIssue(decoded.left) })
    return decoded.right
  })

/** What the first line of a version command says, from stdout or else stderr. */
const firstLine = (text: string) => text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? ""

/**
 * Every leg a run compares, each built from one description: ilo first (it must answer
 * `--version`), then the --lang2-* (or --python) leg, then each --lang in order. A --lang leg whose
 * binary cannot start (or whose version command hangs) is an InvalidFlag; the --lang2-bin leg is
 * reported and skipped as in the seed; a name asked twice runs once.
 */
export const resolveLegs = (flags: LegFlags) =>
  Effect.gen(function* () {
    const runner = yield* ProgramRunner
    const path = yield* Path.Path
    const catalog = yield* loadCatalog(flags.catalogFile)
    const catalogDir = path.dirname(flags.catalogFile)
    const byName = new Map(catalog.languages.map((leg) => [leg.name, leg]))

    const probing = flags.probe ?? true
    const ilo = withBinary(byName.get("ilo") ?? ILO_LEG, flags.ilo)
    const iloVersion = probing
      ? (yield* runner.exec(ilo.version, PROBE_TIMEOUT).pipe(
          Effect.mapError((e) => new IloNotRunnable({ bin: flags.ilo, reason: e.message })),
          Effect.filterOrFail(
            (run) => run.exitCode === 0,
            (run) =>
              new IloNotRunnable({ bin: flags.ilo, reason: run.timedOut ? "--version timed out" : `--version exited ${run.exitCode}` })
          )
        )).stdout.trim()
      : "not probed"

    // Every other leg, with where its docs path is relative to and the seed's warning for --lang2-*.
    const asked: Array<{ leg: LegDescription; docsBase: string | undefined; fromLang2: boolean }> = []
    if (flags.lang2 !== undefined) {
      const { name, bin, ext } = flags.lang2
      asked.push({
        leg: {
          name,
          command: [bin, "{file}"],
          extension: ext,
          version: [bin, "--version"],
          ...(flags.lang2Docs !== undefined ? { docs: flags.lang2Docs } : {})
        },
        docsBase: undefined,
        fromLang2: true
      })
    }
    for (const value of flags.langs ?? []) {
      const known = byName.get(value)
      if (known !== undefined) {
        asked.push({ leg: known, docsBase: catalogDir, fromLang2: false })
        continue
      }
      const inline = parseInlineLeg(value)
      if (inline === undefined)
        return yield* new InvalidFlag({
          flag: "--lang",
          // A value with a colon meant an inline leg: say what it lacks, not that no catalog language has that name.
          reason: value.includes(":")
            ? `'${value}' is not a language defined inline: NAME:CMD:EXT[:DOCS] needs a name, a command and an extension, separated by ':' (e.g. ruby:ruby:.rb)`
            : `unknown language '${value}': the catalog has ${[...byName.keys()].join(", ")}; define one inline as NAME:CMD:EXT[:DOCS]`
        })
      asked.push({ leg: inline, docsBase: undefined, fromLang2: false })
    }

    const languages: Array<Language> = [toLanguage(withContext(ilo, flags.context), undefined, iloVersion)]
    const skipped: Array<{ name: string; reason: string }> = []
    for (const { leg, docsBase, fromLang2 } of asked) {
      if (languages.some((l) => l.name === leg.name) || skipped.some((s) => s.name === leg.name)) continue
      const docsPath = leg.docs === undefined ? undefined : docsBase !== undefined ? path.resolve(docsBase, leg.docs) : leg.docs
      const docs = docsPath !== undefined ? { path: docsPath, text: yield* readDocs(docsPath) } : undefined
      // As in the seed: only a binary that cannot start (or hangs) is skipped; its exit code is not judged.
      const bin = leg.version[0] ?? leg.name
      if (!probing) {
        languages.push(toLanguage(leg, docs))
        continue
      }
      const probe = yield* runner.exec(leg.version, PROBE_TIMEOUT).pipe(Effect.either)
      const reason =
        probe._tag === "Left"
          ? `${bin} not found (${probe.left.message})`
          : probe.right.timedOut
            ? `${leg.version.join(" ")} timed out`
            : undefined
      // A leg asked for by name must run: a CI job would not notice a language that dropped out.
      // Only the seed's --lang2-bin keeps its warn-and-skip.
      if (reason !== undefined && !fromLang2)
        return yield* new InvalidFlag({ flag: "--lang", reason: `${leg.name}: ${reason}; install it, give its path (NAME:CMD:EXT), or leave --lang ${leg.name} out` })
      if (reason !== undefined) {
        yield* Console.error(
          fromLang2
            ? `WARNING: lang2 binary not found: ${bin}. Skipping second language.`
            : `WARNING: ${reason}. Skipping language ${leg.name}.`
        )
        skipped.push({ name: leg.name, reason })
        continue
      }
      const run = Either.getOrThrow(probe)
      languages.push(toLanguage(leg, docs, firstLine(run.stdout) || firstLine(run.stderr)))
    }
    return { languages, skipped, iloVersion } satisfies Legs
  })

export const docsLabel = (language: Language) =>
  language.docs._tag === "IloSkills"
    ? `ilo skill modules: ${language.docs.modules.join(", ")}`
    : language.docs._tag === "File"
      ? `file ${language.docs.path}`
      : "none"
