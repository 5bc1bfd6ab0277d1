import type { RunResult } from "./Result.js"

/**
 * A run that a report holds as a few fields and reads the rest of from its checkpoint line
 * (services/RunsOnDisk.ts) answers this key with the whole record read from there; any other run
 * has no such key. Here, below both the session and the reports, as both use it.
 */
export const WHOLE_RUN = Symbol("the whole run")

/** The run's whole record: read from its line for a run held on disk, the run itself otherwise. */
export const wholeRun = (r: RunResult): RunResult => (r as RunResult & { [WHOLE_RUN]?: RunResult })[WHOLE_RUN] ?? r

/** What of an attempt its run's figures count (a run record's attempt, or a report row's). */
interface AttemptLike {
  readonly unfenced?: boolean | undefined
  readonly dropped?: string | undefined
  readonly fenced_blocks?: number | undefined
  readonly program_tokens?: Readonly<Record<string, number | null>> | undefined
}

/**
 * What the reports' sections count of a run's attempts (the notes, the census), so that a run held
 * on disk answers them from memory instead of each section reading its attempts from its line.
 */
export interface AttemptFigures {
  readonly attempts: number
  /** Replies that came in a Markdown fence and were unwrapped. */
  readonly unfenced: number
  /** Replies with text dropped, or more than one fenced block. */
  readonly chatty: number
  /**
   * Per tokenizer met in the attempts' program_tokens, in the order first met: the sum of the
   * counts, how many attempts had a count (not null), and how many had the tokenizer at all.
   */
  readonly programTokens: ReadonlyArray<{ readonly tokenizer: string; readonly sum: number; readonly counted: number; readonly present: number }>
}

/** A run held on disk answers this key with its AttemptFigures, counted once as its line was read. */
export const ATTEMPT_FIGURES = Symbol("the attempts' figures")

/** The figures of these attempts. */
export const figuresOf = (attempts: ReadonlyArray<AttemptLike> | undefined): AttemptFigures => {
  let unfenced = 0
  let chatty = 0
  const tokens = new Map<string, { tokenizer: string; sum: number; counted: number; present: number }>()
  for (const a of attempts ?? []) {
    if (a.unfenced === true) unfenced++
    if ((a.dropped ?? "") !== "" || (a.fenced_blocks ?? 0) > 1) chatty++
    for (const [tokenizer, n] of Object.entries(a.program_tokens ?? {})) {
      let t = tokens.get(tokenizer)
      if (t === undefined) tokens.set(tokenizer, (t = { tokenizer, sum: 0, counted: 0, present: 0 }))
      if (n === undefined) continue
      t.present++
      if (n !== null) {
        t.sum += n
        t.counted++
      }
    }
  }
  return { attempts: attempts?.length ?? 0, unfenced, chatty, programTokens: [...tokens.values()] }
}

/** A run's AttemptFigures: from memory for a run held on disk, else counted from its attempts. */
export const attemptFigures = (r: { readonly attempts?: ReadonlyArray<AttemptLike> | undefined }): AttemptFigures =>
  (r as { [ATTEMPT_FIGURES]?: AttemptFigures })[ATTEMPT_FIGURES] ?? figuresOf(r.attempts)
