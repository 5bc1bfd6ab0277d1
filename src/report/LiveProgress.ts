import { Effect, Schedule } from "effect"
import type { Attempt, RunResult } from "../domain/Result.js"
import type { BenchEvent } from "../loop/Events.js"
import type { WaveStatus } from "../services/Waves.js"
import type { RunSpec } from "../loop/Plan.js"
import { attemptLine, seedProgress } from "./Progress.js"
import { runBanner, runIdentity } from "./Summary.js"
import { CLEAR_LINE } from "../platform/terminal.js"
import { apiFailureCause, groupDigits, oneLine } from "./format.js"

/**
 * Progress for people waiting on a run, on stderr:
 * - "live" (stderr is a terminal): one status line at the bottom, redrawn in place every second and
 *   after every attempt, with the seed's banners and attempt lines scrolling above it; cleared at the end;
 * - "lines" (CI, pipes): one plain line per finished run, nothing redrawn;
 * - "quiet": nothing.
 * stdout keeps the seed's lines, in the seed's order, in every mode.
 */
export type ProgressMode = "live" | "lines" | "quiet"

export const progressMode = (quiet: boolean, stderrIsTTY: boolean): ProgressMode =>
  quiet ? "quiet" : stderrIsTTY ? "live" : "lines"

export interface ProgressIo {
  /** Writes to stderr (no newline added). */
  readonly write: (text: string) => void
  /** Terminal width, when known: the live line is cut to fit. */
  readonly columns: () => number | undefined
  readonly now: () => number
}

export const stderrIo: ProgressIo = {
  write: (text) => {
    process.stderr.write(text)
  },
  columns: () => process.stderr.columns,
  now: () => Date.now()
}

const CLEAR = CLEAR_LINE

export const formatDuration = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`
}

const compact = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : groupDigits(n)

/** cost_usd is recorded by providers that price runs; progress shows it when present. */
const costOf = (r: RunResult) => {
  const cost = (r as { readonly cost_usd?: unknown }).cost_usd
  return typeof cost === "number" ? cost : undefined
}

/** A wave of --batch as one line: its number, its requests, what the provider reports of them, how long it has waited. */
export const waveLine = (w: WaveStatus) => {
  const c = w.counts
  const extra = [...(c.expired > 0 ? [`${c.expired} expired`] : []), ...(c.canceled > 0 ? [`${c.canceled} canceled`] : [])]
  return (
    `wave ${w.wave}: ${w.requests} request${w.requests === 1 ? "" : "s"} in ${w.batches.length} batch${w.batches.length === 1 ? "" : "es"}` +
    ` · ${c.processing} processing · ${c.succeeded} succeeded · ${c.errored} errored${extra.map((e) => ` · ${e}`).join("")}` +
    ` · ${w.ended ? "ended after" : "waited"} ${formatDuration(w.waitedMs)}`
  )
}

export interface Progress {
  /** Reacts to the loop's events. */
  readonly listener: (event: BenchEvent) => Effect.Effect<void>
  /**
   * A run a resume kept from its checkpoint: counted, and its stdout line printed where it belongs,
   * but it says nothing on stderr (its API warning was shown when it ran) and does not speed up the ETA.
   */
  readonly kept: (spec: RunSpec, result: RunResult) => Effect.Effect<void>
  /** Runs `effect` with the progress shown around it: the ticker while it runs, the line cleared after. */
  readonly track: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** The status line as it would be drawn now. */
  readonly status: () => string
}

/** `trials`: --trials; when above 1, every line names its run's trial. */
export const benchProgress = (total: number, mode: ProgressMode, io: ProgressIo = stderrIo, trials = 1): Progress => {
  const seed = seedProgress(total, trials)
  const counts = { working: 0, partial: 0, failed: 0, error: 0 }
  let done = 0
  /** Runs finished in this session: what the ETA's pace is taken from. */
  let doneHere = 0
  let tokens = 0
  let cost: number | undefined
  /** Runs with no cost (an unpriced model, a reply without usage): the sum of the others is not the spend. */
  let unpriced = 0
  let started: number | undefined
  let drawn = false
  /** API failures already shown, by cause: a bad key fails every run the same way. */
  const shownCauses = new Set<string>()

  const elapsed = () => (started === undefined ? 0 : io.now() - started)
  const eta = () => (doneHere === 0 ? "–" : formatDuration((elapsed() / doneHere) * (total - done)))
  const tally = () => `${counts.working} working · ${counts.partial} partial · ${counts.failed} failed · ${counts.error} error`
  const spend = () => `${compact(tokens)} tok${cost !== undefined ? ` · $${cost.toFixed(cost >= 1 ? 2 : 4)}${unpriced > 0 ? " + n/a" : ""}` : ""}`
  const status = () =>
    `[${done}/${total}] ${tally()} · ${spend()} · ${formatDuration(elapsed())} elapsed · ETA ${done === total ? "0s" : eta()}` +
    (wave !== undefined && !wave.ended ? ` · ${waveLine(wave)}` : "")

  const clear = () => {
    if (drawn) io.write(CLEAR)
    drawn = false
  }
  const draw = () => {
    const width = io.columns()
    const line = status()
    io.write(CLEAR + (width !== undefined && width > 1 && line.length >= width ? line.slice(0, width - 2) + "…" : line))
    drawn = true
  }
  /** In live mode, anything printed goes above the status line, which is then drawn again. */
  const above = <E, R>(print: Effect.Effect<void, E, R>) =>
    mode === "live" ? Effect.sync(clear).pipe(Effect.zipRight(print), Effect.zipRight(Effect.sync(draw))) : print
  const start = () => {
    started ??= io.now()
  }

  // Per run, as the cost is: a resumed benchmark's kept runs have no attempts to count.
  const count = (result: RunResult) => {
    done++
    counts[result.final_outcome]++
    tokens += result.input_tokens + result.generation_tokens
    const c = costOf(result)
    if (c !== undefined) cost = (cost ?? 0) + c
    else unpriced++
  }

  const onStart = (spec: RunSpec) =>
    Effect.suspend(() => {
      start()
      return mode === "live" ? above(Effect.sync(() => io.write(runBanner(spec, total, trials).slice(1) + "\n"))) : Effect.void
    })
  const onAttempt = (spec: RunSpec, a: Attempt) =>
    mode === "live" ? above(Effect.sync(() => io.write(attemptLine(spec, a, total, trials) + "\n"))) : Effect.void
  const onRun = (spec: RunSpec, result: RunResult) =>
      Effect.suspend(() => {
        start()
        count(result)
        doneHere++
        const failure = result.api_error
        const cause = failure ? apiFailureCause(failure) : undefined
        const firstOfItsCause = failure && cause !== undefined && mode !== "quiet" && !shownCauses.has(cause)
        if (cause !== undefined) shownCauses.add(cause)
        const warning = firstOfItsCause
          ? Effect.sync(() =>
              io.write(
                failure.kind === "harness"
                  ? `WARNING: the harness could not run a program (not the language's failure): ${oneLine(failure.message)}\n`
                  : `WARNING: the model API failed (${cause}): ${oneLine(failure.message)}\n`
              )
            )
          : Effect.void
        const stdout = Effect.zipRight(warning, seed.runFinished(spec, result))
        if (mode === "lines") {
          const att = result.final_outcome === "working" ? result.attempts_to_success : result.attempts_total
          const line = `[${done}/${total}] ${runIdentity(result, trials)} -> ${result.final_outcome} (${att} att, ${compact(result.input_tokens + result.generation_tokens)} tok) | ${tally()} | ${spend()} | ${formatDuration(elapsed())} elapsed, ETA ${done === total ? "0s" : eta()}`
          return stdout.pipe(Effect.zipRight(Effect.sync(() => io.write(line + "\n"))))
        }
        return above(stdout)
      })
  /** --batch: the wave under way, and what was last said of it (a line is printed only when that changes). */
  let wave: WaveStatus | undefined
  let waveSaid = ""
  const onWave = (status: WaveStatus) =>
    Effect.suspend(() => {
      start()
      wave = status
      const said = waveLine({ ...status, waitedMs: 0 })
      if (mode !== "lines" || said === waveSaid) return Effect.void
      waveSaid = said
      return Effect.sync(() => io.write(waveLine(status) + "\n"))
    })
  const listener = (event: BenchEvent): Effect.Effect<void> => {
    switch (event._tag) {
      case "WaveProgress":
        return onWave(event.status)
      case "RunStarted":
        return onStart(event.spec)
      case "AttemptFinished":
        return onAttempt(event.spec, event.attempt)
      case "RunFinished":
        return onRun(event.spec, event.result)
      case "ReplyLanded":
        return Effect.void
    }
  }

  const track = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    if (mode !== "live") return effect
    const ticker = Effect.sync(() => {
      start()
      draw()
    }).pipe(Effect.repeat(Schedule.spaced("1 second")))
    return Effect.scoped(Effect.forkScoped(ticker).pipe(Effect.zipRight(effect))).pipe(Effect.ensuring(Effect.sync(clear)))
  }

  const kept = (spec: RunSpec, result: RunResult) =>
    Effect.suspend(() => {
      count(result)
      return seed.runFinished(spec, result)
    })

  return { listener, kept, track, status }
}
