import { Options } from "@effect/cli"
import { choice, defaulting, optionalText } from "./optionHelpers.js"

/** Flags for providers, language legs, record/replay and trials (spread into the run command's options). */
export const providerOptions = {
  provider: choice("provider", ["anthropic", "openai"]).pipe(
    Options.withDescription("anthropic (Messages API) or openai (chat completions: OpenAI, Ollama, vLLM, llama-server)."),
    defaulting("anthropic")
  ),
  lang: Options.text("lang").pipe(
    Options.repeated,
    Options.withDescription("Add a language leg: a name from bench/languages.json, or NAME:CMD:EXT[:DOCS]. Repeatable.")
  ),
  trials: Options.integer("trials").pipe(
    Options.withDescription("Run every task x language x model this many times; reports pass rates and pass@k."),
    defaulting(1)
  ),
  confirm: Options.integer("confirm").pipe(
    Options.withDescription("Run a program that works this many times in all, each in a fresh directory; one that does not work every time marks its run flaky."),
    defaulting(1)
  ),
  temperature: Options.float("temperature").pipe(
    Options.optional,
    Options.withDescription("Sampling temperature (openai only: the Anthropic API version in use rejects it).")
  ),
  thinkingBudget: Options.integer("thinking-budget").pipe(
    Options.optional,
    Options.withDescription("Anthropic extended thinking budget in tokens (>= 1024, below --max-tokens).")
  ),
  record: optionalText("record", "Save every model exchange to this new JSONL cassette."),
  replay: optionalText("replay", "Answer model requests from this cassette: no network, no key."),
  replayFallthrough: Options.boolean("replay-fallthrough").pipe(
    Options.withDescription("With --replay: send requests the cassette lacks to the live provider and record them.")
  ),
  batch: Options.boolean("batch").pipe(
    Options.withDescription(
      "Send the requests in batches (Anthropic Message Batches, OpenAI Batch API): the batch price, no per-minute limit; attempt k of every open run goes in one wave, the repairs in the next. Resumable: a submitted batch is polled again, never paid twice."
    )
  ),
  batchPoll: Options.float("batch-poll").pipe(
    Options.withDescription("With --batch: seconds between two looks at a batch that has not ended."),
    defaulting(30)
  )
}
