import { Context, Effect, Fiber, Option, PubSub, Queue, type Scope } from "effect"
import type { CheckpointReply } from "../domain/Checkpoint.js"
import type { Attempt, RunResult } from "../domain/Result.js"
import type { RunSpec } from "./Plan.js"
import type { WaveStatus } from "../services/Waves.js"

/** What the loop announces as a benchmark goes: progress, the budget and the seed's lines listen. */
export type BenchEvent =
  | { readonly _tag: "RunStarted"; readonly spec: RunSpec }
  /** A model reply, as it lands (the checkpoint has it already). Not sent for a reply a resume replays. */
  | { readonly _tag: "ReplyLanded"; readonly reply: CheckpointReply }
  | { readonly _tag: "AttemptFinished"; readonly spec: RunSpec; readonly attempt: Attempt }
  | { readonly _tag: "RunFinished"; readonly spec: RunSpec; readonly result: RunResult }
  /** --batch: a wave submitted, polled or ended, as the provider reports its batches. */
  | { readonly _tag: "WaveProgress"; readonly status: WaveStatus }

/** Where the loop announces its events; without it (a test of one run), they go nowhere. */
export class BenchEvents extends Context.Tag("ilo-bench/BenchEvents")<
  BenchEvents,
  { readonly publish: (event: BenchEvent) => Effect.Effect<void> }
>() {}

export const publish = (event: BenchEvent) =>
  Effect.flatMap(Effect.serviceOption(BenchEvents), (events) => (Option.isSome(events) ? events.value.publish(event) : Effect.void))

/** One listener's reaction to an event. */
export type Listener = (event: BenchEvent) => Effect.Effect<void>

const Stop = { _tag: "Stop" } as const

/**
 * A PubSub with each listener subscribed at once (none misses an event) and handling events in a
 * fiber of its own, in the order they were published. `drain` lets every listener handle what was
 * published so far, then stops them: what they print is out before a report is written.
 */
export const listen = (listeners: ReadonlyArray<Listener>): Effect.Effect<{ readonly events: BenchEvents["Type"]; readonly drain: Effect.Effect<void> }, never, Scope.Scope> =>
  Effect.gen(function* () {
    const hub = yield* PubSub.unbounded<BenchEvent | typeof Stop>()
    const fibers = yield* Effect.forEach(listeners, (listener) =>
      Effect.gen(function* () {
        const queue = yield* PubSub.subscribe(hub)
        const next: Effect.Effect<void> = Effect.flatMap(Queue.take(queue), (event) =>
          event._tag === "Stop" ? Effect.void : Effect.zipRight(listener(event), next)
        )
        return yield* Effect.forkScoped(next)
      })
    )
    return {
      events: { publish: (event: BenchEvent) => Effect.asVoid(PubSub.publish(hub, event)) },
      drain: PubSub.publish(hub, Stop).pipe(Effect.zipRight(Fiber.joinAll(fibers)))
    }
  })
