import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { renderHtml } from "../src/report/Html.js"
import { mergeSources, sourceOfReport } from "../src/report/Sweep.js"
import { MAX_TASKS_CHARTED } from "../src/report/Charts.js"
import { result } from "./support/fixtures.js"

describe("an HTML report of a large suite", () => {
  it("leaves out the per-task chart, which would be unreadable, and keeps the others", async () => {
    const results = Array.from({ length: MAX_TASKS_CHARTED + 1 }, (_, i) => result(`t${i}`))
    const report = {
      generated: "2026-11-25T00:00:00.000Z",
      harness: "ilo-bench",
      harness_version: "0.1.0",
      complete: true,
      config: { retry_cap: 5, max_tokens: 1024, languages: [], models: [] },
      skills: [],
      notes: [],
      results
    } as any
    const html = [...(await Effect.runPromise(renderHtml(mergeSources([sourceOfReport(report, "big.json")]))))].join("")
    expect(html).toContain(`${MAX_TASKS_CHARTED + 1} tasks: too many for a bar per task`)
    expect(html).toContain('id="chart-curve"')
  }, 120_000)
})
