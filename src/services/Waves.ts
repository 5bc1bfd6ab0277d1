import { Context, Effect, Layer } from "effect"
import type { CheckpointBatch } from "../domain/Checkpoint.js"

/** What the provider reports of the batches of a wave, summed over them. */
export interface WaveCounts {
  readonly processing: number
  readonly succeeded: number
  readonly errored: number
  readonly expired: number
  readonly canceled: number
}

/** A wave as progress shows it: its number, its requests, what the provider says of them, how long it has waited. */
export interface WaveStatus {
  readonly wave: number
  readonly requests: number
  readonly batches: ReadonlyArray<string>
  readonly counts: WaveCounts
  readonly waitedMs: number
  readonly ended: boolean
}

/** Where a batching provider writes the batches it submits, and whom it tells how a wave goes. */
export interface WaveJournal {
  /** A batch about to be created, then created: in the checkpoint before it is polled, a resume polls it (or looks for it) instead of paying again. */
  readonly record: (line: CheckpointBatch) => Effect.Effect<void, unknown>
  /** The batches earlier sessions of this benchmark submitted, or were about to (a resume), in the order written. */
  readonly recorded: ReadonlyArray<CheckpointBatch>
  readonly progress: (status: WaveStatus) => Effect.Effect<void>
}

/**
 * What a batching provider must know of the benchmark: how many runs are open (started, or about
 * to be, and not finished), so that it sends a wave once every open run waits on the model; and
 * the journal the session attaches once its checkpoint is open. The loop counts the runs; the
 * session attaches the journal; the provider watches both.
 */
export class Waves extends Context.Tag("ilo-bench/Waves")<
  Waves,
  {
    /** `n` runs are about to start. */
    readonly expect: (n: number) => Effect.Effect<void>
    /** A run has finished (or was never started). */
    readonly ended: Effect.Effect<void>
    readonly open: () => number
    readonly attach: (journal: WaveJournal) => Effect.Effect<void>
    readonly journal: () => WaveJournal | undefined
    /** Called after every change of `open` (the provider checks whether a wave is due). */
    readonly watch: (onChange: () => void) => void
  }
>() {
  static readonly make = Effect.sync((): Context.Tag.Service<Waves> => {
    // Plain numbers: fibers take turns on one thread, and each change is one synchronous step.
    let open = 0
    let journal: WaveJournal | undefined
    const watchers: Array<() => void> = []
    const changed = () => {
      for (const w of watchers) w()
    }
    return {
      expect: (n) =>
        Effect.sync(() => {
          open += n
          changed()
        }),
      ended: Effect.sync(() => {
        open = Math.max(0, open - 1)
        changed()
      }),
      open: () => open,
      attach: (j) => Effect.sync(() => void (journal = j)),
      journal: () => journal,
      watch: (onChange) => void watchers.push(onChange)
    }
  })

  static readonly layer = Layer.effect(Waves, Waves.make)
}
