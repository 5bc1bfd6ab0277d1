import { Effect, Layer, Option } from "effect"
import type { RunFlags } from "../config/RunFlags.js"
import { defaultRetryPolicy } from "../loop/Policy.js"
import * as Cassette from "../providers/Cassette.js"
import type { CounterSource, LlmSource } from "../providers/Select.js"
import * as StopEarly from "../providers/StopEarly.js"
import { boundedRunner } from "../services/BoundedRunner.js"
import * as Checkpoint from "../services/Checkpoint.js"
import { forBenchmark, ProgramRunner, type Sandbox } from "../services/ProgramRunner.js"
import * as RateGate from "../services/RateGate.js"
import * as SkillDocs from "../services/SkillDocs.js"
import { Waves } from "../services/Waves.js"
import * as TokenCounter from "../services/TokenCounter.js"

export interface BenchOptions {
  readonly skills: { readonly dir: string; readonly relativeTo: string }
  /** The sandbox chosen at the start, and the interpreters' commands it must find. */
  readonly sandbox: Sandbox
  readonly commands: ReadonlyArray<ReadonlyArray<string>>
  /** Where the model is served and which variable holds its key: named when the endpoint is unusable. */
  readonly endpoint: { readonly url: string; readonly keyVariable: string }
  /** --count-tokens anthropic: where the counts come from. */
  readonly counter?: CounterSource | undefined
}

/** The model's source with its cassette over it, if any: the one place the Llm decorators meet the provider. */
const model = (source: LlmSource) => {
  switch (source._tag) {
    case "Live":
      return source.live
    case "Recorded":
      return Cassette.layer(source.cassette).pipe(Layer.provide(source.live))
    case "Replayed":
      return Cassette.replayLayer(source.cassette)
  }
}

/** The token counter behind the rate gate, with the cassette over it (a replayed count skips the gate). */
const counting = (source: CounterSource) => {
  switch (source._tag) {
    case "Live":
      return TokenCounter.gatedLayer.pipe(Layer.provide(source.live))
    case "Recorded":
      return Cassette.countingLayer(source.cassette).pipe(Layer.provide(TokenCounter.gatedLayer), Layer.provide(source.live))
    case "Replayed":
      return Cassette.countingReplayLayer(source.cassette)
  }
}

/**
 * Everything one benchmark runs on, built from its flags: the model (from `llm`, the provider
 * and cassette the flags chose), stopping at once when its endpoint cannot answer, behind the rate
 * gate; programs run in the sandbox and bounded by --program-concurrency; the skill docs and the
 * checkpoint; with --batch, the Waves the batching provider watches, the loop counts and the
 * session attaches the checkpoint to (one, provided here to all three). It takes the program host,
 * the file system and the clock from the edge.
 */
export const layer = (flags: RunFlags, llm: LlmSource, options: BenchOptions) => {
  // One gate for the model's requests and the counter's (with --batch, the counter's alone).
  const gate = RateGate.layer({ maxConcurrency: flags.concurrency, rpm: Option.getOrUndefined(flags.rpm), maxPause: defaultRetryPolicy.maxDelay })
  const counted = options.counter === undefined ? undefined : counting(options.counter).pipe(Layer.provide(gate))
  const bench = Layer.mergeAll(
    SkillDocs.layer({ iloBin: flags.ilo, skillsDir: options.skills.dir, relativeTo: options.skills.relativeTo }),
    // A refused key, an unknown model or nothing at the address stops everything at once (exit 2).
    StopEarly.layer(options.endpoint.url, options.endpoint.keyVariable).pipe(Layer.provide(model(llm))),
    Checkpoint.layer,
    // A batch is not held to the per-minute limit, and every run of a wave waits on the model at once: no gate.
    // Token counts are requests of their own: always behind the gate.
    flags.batch ? (counted ?? Layer.empty) : counted === undefined ? gate : Layer.merge(gate, counted),
    // The same host, its programs in the sandbox, with a bound in front of them.
    Layer.effect(
      ProgramRunner,
      Effect.flatMap(ProgramRunner, (runner) => boundedRunner(forBenchmark(runner, options.sandbox, options.commands), flags.programConcurrency))
    )
  )
  // The loop and the session take Waves as an option, its absence meaning interactive requests: without
  // --batch it stays out of what the benchmark sees (the interactive providers never read it).
  return bench.pipe(flags.batch ? Layer.provideMerge(Waves.layer) : Layer.provide(Waves.layer))
}
