import { Schema } from "effect"

/**
 * The JSON report's `analysis`, as a Schema, for `ilo-bench schema` and `validate`: the verdict's
 * figures (src/report/Survival.ts) and the token census (src/report/Census.ts).
 */

const Interval = Schema.NullOr(Schema.Tuple(Schema.Number, Schema.Number))
const Counts = Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) }).annotations({
  description: "Tokens per tokenizer; null where a count is unknown (a token counting endpoint that failed)."
})

const Quantiles = Schema.Struct({
  median: Schema.NullOr(Schema.Number),
  p25: Schema.NullOr(Schema.Number),
  p75: Schema.NullOr(Schema.Number),
  ci95: Interval.annotations({ description: "The median's 95% bootstrap interval (by task); null where a bound is not reached." })
}).annotations({ description: "Kaplan-Meier: the smallest spend with S(t) <= 0.5 (median), 0.75 (p25), 0.25 (p75); null: not reached." })

const Curve = Schema.Array(Schema.Tuple(Schema.Number, Schema.Number)).annotations({ description: "[spend, share of runs not yet working]" })

const Ratio = Schema.Struct({ ratio: Schema.NullOr(Schema.Number), ci95: Interval })

export const ReportAnalysisSchema = Schema.Struct({
  baseline: Schema.String,
  bootstrap: Schema.Struct({ resamples: Schema.Number, level: Schema.Number, seed: Schema.Number, unit: Schema.Literal("task") }),
  survival: Schema.Array(
    Schema.Struct({
      language: Schema.String,
      model: Schema.String,
      runs: Schema.Number,
      working: Schema.Number,
      censored: Schema.Number,
      errors: Schema.Number,
      total_tokens: Quantiles,
      output_tokens: Quantiles,
      cost_usd: Quantiles,
      curve: Schema.Struct({ total_tokens: Curve, output_tokens: Curve, cost_usd: Curve })
    })
  ),
  versus: Schema.Array(
    Schema.Struct({
      language: Schema.String,
      model: Schema.String,
      baseline: Schema.String,
      tasks: Schema.Number,
      total_tokens: Ratio,
      output_tokens: Ratio,
      cost_usd: Ratio
    }).annotations({ description: "The language's median spend to a working program over the baseline's, with a paired bootstrap over tasks." })
  ),
  census: Schema.Array(
    Schema.Struct({
      language: Schema.String,
      model: Schema.String,
      attempts: Schema.Number,
      doc_tokens: Schema.NullOr(Counts),
      spec_tax: Schema.NullOr(Counts),
      program_tokens: Counts,
      median_working_program_tokens: Schema.NullOr(Counts)
    })
  )
}).annotations({ identifier: "Analysis", description: "Spend to a working program per language x model, ratios to the baseline, and the token census." })
