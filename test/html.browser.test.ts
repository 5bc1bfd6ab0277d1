import { Effect } from "effect"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { chromium } from "playwright-core"
import { describe, expect, it } from "vitest"
import { renderCompareHtml, compareSweeps } from "../src/report/Compare.js"
import { renderHtml } from "../src/report/Html.js"
import { decodeResults, mergeSources, type Source } from "../src/report/Sweep.js"
import { root } from "./support/cli.js"
import { attempt, iloBenchFile, iloBenchRow, laterFile, laterRow } from "./support/resultFixtures.js"

const CHROMIUM = "/usr/bin/chromium"
const available = existsSync(CHROMIUM)
// CI installs chromium (.ci/run): there a missing browser is a failure, not a skip.
if (!available && process.env["CI"]) throw new Error(`the HTML browser tests need Debian's chromium at ${CHROMIUM} in CI`)
if (!available) console.warn(`SKIPPED: HTML browser tests need Debian's chromium at ${CHROMIUM} (apt-get install chromium).`)

const source = (file: string, content: unknown): Source => {
  const d = decodeResults(file, JSON.stringify(content))
  if (d._tag === "Left") throw new Error(d.left.message)
  return d.right
}

/** Opens a page in headless Chromium, counting every request that is not the file itself or inline data. */
const openInChromium = async (file: string, screenshot: string) => {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
  })
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const external: Array<string> = []
    page.on("request", (request) => {
      const url = request.url()
      if (!url.startsWith("file:") && !url.startsWith("data:")) external.push(url)
    })
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" })
    const charts = await page.$$eval("figure.chart", (figures: Array<any>) =>
      figures.map((f) => {
        const doc = (globalThis as any).document
        const svg = f.querySelector("svg[data-chart-library]")
        const box = svg?.getBoundingClientRect()
        // A series is visible when, at the centre of one of its points, that point is what the eye sees on top.
        const series = Array.from(f.querySelectorAll('g[aria-description^="series "]')).map((g: any) => {
          const marks = Array.from(g.children).filter((c: any) => c.tagName !== "title")
          const seen = marks.some((m: any) => {
            m.scrollIntoView({ block: "center" })
            const r = m.getBoundingClientRect()
            const top = doc.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)
            return top !== null && (top === m || m.contains(top))
          })
          return { name: g.getAttribute("aria-description")!.slice("series ".length), marks: marks.length, seen, titles: marks.map((m: any) => m.querySelector("title")?.textContent ?? "") }
        })
        // An axis's label and its tick labels must not run into each other.
        const hit = (a: any, b: any) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5
        const overlaps = ["x", "y"].flatMap((axis) => {
          const labels = Array.from(f.querySelectorAll(`g[aria-label="${axis}-axis label"] text`)) as Array<any>
          const ticks = Array.from(f.querySelectorAll(`g[aria-label="${axis}-axis tick label"] text`)) as Array<any>
          return labels.flatMap((l) => ticks.filter((t) => hit(l.getBoundingClientRect(), t.getBoundingClientRect())).map((t) => `${l.textContent} / ${t.textContent}`))
        })
        return {
          id: f.id || f.className,
          overlaps,
          library: svg?.getAttribute("data-chart-library") ?? null,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          right: box?.right ?? 0,
          marks: svg ? svg.querySelectorAll("[aria-label] > *").length : 0,
          titles: svg ? Array.from(svg.querySelectorAll("title")).map((t: any) => t.textContent ?? "") : [],
          text: svg?.textContent ?? "",
          series
        }
      })
    )
    await page.evaluate(() => (globalThis as any).scrollTo(0, 0))
    const layout = await page.evaluate(() => {
      // Runs in the page: the project's types have no DOM.
      const win = globalThis as any
      const doc = win.document
      const visible = (el: any) => {
        if (el === null) return false
        const r = el.getBoundingClientRect()
        // Inside the window and not scrolled away inside any box around it.
        let clip = { left: 0, right: win.innerWidth }
        for (let p = el.parentElement; p !== null; p = p.parentElement) {
          const style = win.getComputedStyle(p)
          if (style.overflowX !== "visible") {
            const b = p.getBoundingClientRect()
            clip = { left: Math.max(clip.left, b.left), right: Math.min(clip.right, b.right) }
          }
        }
        return r.width > 0 && r.left >= clip.left - 0.5 && r.right <= clip.right + 0.5
      }
      const headers = (selector: string) =>
        Object.fromEntries(Array.from(doc.querySelectorAll(`${selector} th`)).map((th: any) => [th.textContent ?? "", visible(th)]))
      return {
        pageWidth: doc.documentElement.scrollWidth,
        windowWidth: win.innerWidth,
        summary: headers("table.summary"),
        compare: headers("table.groups"),
        census: headers("#census"),
        censusText: doc.querySelector("#census")?.textContent ?? "",
        ratios: doc.querySelector("table.ratios") !== null,
        scrolledCards: Array.from(doc.querySelectorAll(".card")).filter((c: any) => c.scrollWidth > c.clientWidth + 1).map((c: any) => c.firstElementChild?.className ?? "")
      }
    })
    mkdirSync(join(root, "test-output"), { recursive: true })
    await page.screenshot({ path: join(root, "test-output", screenshot), fullPage: true })
    const gridLinks = await page.$$eval(".grid a", (links) => links.map((a) => a.getAttribute("href")))
    const targets = await page.$$eval("details.run", (runs) => runs.map((d) => `#${d.id}`))
    return { external, charts, gridLinks, targets, layout }
  } finally {
    await browser.close()
  }
}

/** A sweep as a new user's benchmark looks: long ids, two models, curves that coincide, a language whose every run ended in error. */
const realisticSweep = () => {
  const tasks = Array.from({ length: 12 }, (_, i) => `${["parse", "sum", "merge", "fizz"][i % 4]}-${"long-task-identifier-".repeat(i % 3)}${i}`)
  const models = ["haiku", "claude-sonnet-4-5-20250929"]
  const row = (task: string, language: string, model: string, i: number) => {
    // ilo and python do exactly the same, so their curves coincide (ilo drawn first).
    const attempts = language === "javascript" ? 1 + (i % 3) : 1 + (i % 2)
    const outcome = i % 5 === 4 ? "failed" : "working"
    return laterRow(task, language, model, outcome, 0.0123 * attempts, {
      attempts_to_success: outcome === "working" ? attempts : null,
      attempts_total: attempts,
      input_tokens: (language === "javascript" ? 9000 : 1200) * attempts,
      wall_time_s: 12.5
    })
  }
  const files = ["ilo", "python", "javascript"].map((language) =>
    source(`${language}.json`, laterFile(language, models.flatMap((model) => tasks.map((task, i) => row(task, language, model, i)))))
  )
  const rust = source("rust.json", laterFile("rust", models.flatMap((model) => tasks.map((task) => laterRow(task, "rust", model, "error", 0)))))
  return mergeSources([...files, rust])
}

describe.skipIf(!available)("HTML reports in headless Chromium at 1280 x 800", () => {
  it("fits the window: the summary's verdict, attempts, cost and time columns are visible without horizontal scrolling", async () => {
    const html = [...(await Effect.runPromise(renderHtml(realisticSweep())))].join("")
    const dir = join(root, "test-output")
    mkdirSync(dir, { recursive: true })
    const file = join(dir, "report-wide.html")
    writeFileSync(file, html)
    const page = await openInChromium(file, "report-wide.png")
    expect(page.layout.pageWidth).toBeLessThanOrEqual(page.layout.windowWidth)
    const summary = page.layout.summary
    for (const column of ["success rate (95% interval)", "mean attempts to success", "cost", "cost per success", "mean wall time"]) expect(summary[column], column).toBe(true)
    expect(page.layout.scrolledCards.filter((c) => c === "summary" || c === "tokens")).toEqual([])
  })

  it("the token census fits its card: every column, the second and third tokenizers' included, is visible", async () => {
    // Three tokenizers are counted offline for every program: a table of them side by side had 15 columns.
    const rows = ["ilo", "python", "javascript"].flatMap((language) =>
      ["parse-long-task-identifier-1", "sum-long-task-identifier-2"].map((task) =>
        iloBenchRow(task, language, "claude-sonnet-4-5-20250929", [attempt(1, "failed", "print(x)", "NameError: x"), attempt(2, "working", "print(sum([1, 2, 3]))", null)])
      )
    )
    const html = [...(await Effect.runPromise(renderHtml(mergeSources([source("census.json", iloBenchFile(rows))]))))].join("")
    const file = join(root, "test-output", "report-census.html")
    mkdirSync(join(root, "test-output"), { recursive: true })
    writeFileSync(file, html)
    const page = await openInChromium(file, "report-census.png")
    expect(page.layout.pageWidth).toBeLessThanOrEqual(page.layout.windowWidth)
    expect(Object.keys(page.layout.census).length).toBeGreaterThan(0)
    for (const [column, seen] of Object.entries(page.layout.census)) expect(seen, `census column "${column}" is out of sight`).toBe(true)
    for (const tokenizer of ["o200k_base", "cl100k_base", "llama3"]) expect(page.layout.censusText).toContain(tokenizer)
    expect(page.layout.scrolledCards).toEqual([])
  })

  it("draws every chart with the chart library, every series visible at some point, with exact values in tooltips", async () => {
    const html = [...(await Effect.runPromise(renderHtml(realisticSweep())))].join("")
    const file = join(root, "test-output", "report-series.html")
    mkdirSync(join(root, "test-output"), { recursive: true })
    writeFileSync(file, html)
    const page = await openInChromium(file, "report-series.png")
    expect(page.external).toEqual([])
    expect(page.charts.map((c) => c.id)).toEqual(["chart-survival", "chart-rates", "chart-curve", "chart-tokens-haiku", "chart-tokens-claude-sonnet-4-5-20250929"])
    for (const chart of page.charts) {
      expect(chart.overlaps, `${chart.id}: an axis label runs into its tick labels`).toEqual([])
      expect(chart.library, chart.id).toBe("observable-plot")
      expect(chart.width, chart.id).toBeGreaterThan(600)
      expect(chart.right, chart.id).toBeLessThanOrEqual(1280)
    }
    const curve = page.charts.find((c) => c.id === "chart-curve")!
    // Three languages that reached the model x two models; rust measured nothing and has no line.
    expect(curve.series.map((s) => s.name).sort()).toEqual(
      ["ilo", "python", "javascript"].flatMap((l) => ["haiku", "claude-sonnet-4-5-20250929"].map((m) => `${l} / ${m}`)).sort()
    )
    for (const s of curve.series) {
      expect(s.seen, `${s.name} is hidden under another series`).toBe(true)
      expect(s.titles.every((t) => /^.+: \d+(\.\d)?% working after at most \d attempt\(s\) \(\d+ of \d+ runs\)$/.test(t)), s.titles.join("\n")).toBe(true)
    }
    // The survival curves: a line per language x model that reached the model, none hidden.
    const survival = page.charts.find((c) => c.id === "chart-survival")!
    expect(survival.series.length).toBeGreaterThan(1)
    for (const s of survival.series) {
      expect(s.seen, `survival: ${s.name} is hidden under another series`).toBe(true)
      expect(s.titles.every((t) => /not yet working after [\d,]+$/.test(t)), s.titles.join("\n")).toBe(true)
    }
    for (const id of ["chart-tokens-haiku", "chart-tokens-claude-sonnet-4-5-20250929"]) {
      const tokens = page.charts.find((c) => c.id === id)!
      expect(tokens.series.map((s) => s.name)).toEqual(["ilo", "python", "javascript", "rust"].filter((l) => l !== "rust"))
      for (const s of tokens.series) expect(s.seen, `${id}: ${s.name}`).toBe(true)
    }
    // A language whose runs all ended in error gets a note, not a 0-100% interval.
    const rates = page.charts.find((c) => c.id === "chart-rates")!
    expect(rates.text).toContain("no run reached the model: 12 of 12 ended in error")
    expect(rates.titles.filter((t) => t.startsWith("rust /")).every((t) => t.includes("no run reached the model"))).toBe(true)
    expect(rates.titles.some((t) => /^ilo \/ haiku: \d+(\.\d)?% working \(\d+ of 12 measured runs\), 95% interval/.test(t))).toBe(true)
  })

  it("grid cells link to their runs, nothing is fetched from the network", async () => {
    const ilo = source("ilo.json", iloBenchFile([
      iloBenchRow("sum-list", "ilo", "haiku", [attempt(1, "failed", "bad", "NameError: x"), attempt(2, "working", "good", null)]),
      iloBenchRow("fizzbuzz", "ilo", "haiku", [attempt(1, "working", "ok", null)])
    ]))
    const python = source("python.json", laterFile("python", [laterRow("sum-list", "python", "haiku", "working", 0.001), laterRow("fizzbuzz", "python", "haiku", "partial", 0.002)]))
    const html = [...(await Effect.runPromise(renderHtml(mergeSources([ilo, python]))))].join("")
    const dir = join(root, "test-output")
    mkdirSync(dir, { recursive: true })
    const file = join(dir, "report.html")
    writeFileSync(file, html)
    const page = await openInChromium(file, "report.png")
    expect(page.external).toEqual([])
    // The survival curves first, under the verdict; then the rest, every one drawn by the library.
    expect(page.charts.map((c) => c.library)).toEqual(["observable-plot", "observable-plot", "observable-plot", "observable-plot"])
    expect(page.gridLinks).toHaveLength(4)
    for (const link of page.gridLinks) expect(page.targets).toContain(link)
  })

  it("the comparison page fits the window and draws its chart with the library, both sides visible", async () => {
    // javascript works on both sides, so the ratios to ilo have a row in A and in B.
    const runs = (outcome: "working" | "failed") =>
      ["t1", "t2", "t3"].flatMap((t) => ["ilo", "javascript"].map((l) => laterRow(`${t}-a-rather-long-task-identifier`, l, "claude-sonnet-4-5-20250929", l === "ilo" ? outcome : "working", 0.01)))
    const a = mergeSources([source("a.json", laterFile("ilo", runs("failed")))])
    const b = mergeSources([source("b.json", laterFile("ilo", runs("working")))])
    const file = join(root, "test-output", "compare.html")
    writeFileSync(file, await Effect.runPromise(renderCompareHtml(compareSweeps(a, b))))
    const page = await openInChromium(file, "compare.png")
    expect(page.external).toEqual([])
    expect(page.layout.pageWidth).toBeLessThanOrEqual(page.layout.windowWidth)
    expect(Object.values(page.layout.compare).length).toBeGreaterThan(5)
    for (const [column, seen] of Object.entries(page.layout.compare)) expect(seen, column).toBe(true)
    expect(page.charts).toHaveLength(1)
    expect(page.charts[0]!.library).toBe("observable-plot")
    expect(page.charts[0]!.overlaps).toEqual([])
    // Every table fits its card: the ratios' A -> B cells (a change and its interval each) wrap.
    expect(page.layout.ratios).toBe(true)
    expect(page.layout.scrolledCards).toEqual([])
    expect(page.charts[0]!.series.map((s) => [s.name, s.seen])).toEqual([["A", true], ["B", true]])
  })
})
