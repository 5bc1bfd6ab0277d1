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
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const external: Array<string> = []
    page.on("request", (request) => {
      const url = request.url()
      if (!url.startsWith("file:") && !url.startsWith("data:")) external.push(url)
    })
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" })
    const charts = await page.$$eval("figure.chart", (figures) =>
      figures.map((f) => {
        const svg = f.querySelector("svg")
        const box = svg?.getBoundingClientRect()
        return {
          id: f.id || f.className,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: svg ? svg.querySelectorAll(".mark").length : 0
        }
      })
    )
    mkdirSync(join(root, "test-output"), { recursive: true })
    await page.screenshot({ path: join(root, "test-output", screenshot), fullPage: true })
    const gridLinks = await page.$$eval(".grid a", (links) => links.map((a) => a.getAttribute("href")))
    const targets = await page.$$eval("details.run", (runs) => runs.map((d) => `#${d.id}`))
    return { external, charts, gridLinks, targets }
  } finally {
    await browser.close()
  }
}

describe.skipIf(!available)("HTML reports in headless Chromium", () => {
  it("every chart renders with marks, nothing is fetched from the network, and grid cells link to their runs", async () => {
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
    // The survival curves first, under the verdict; then the rest.
    expect(page.charts.map((c) => c.id)).toEqual(["chart-survival", "chart-rates", "chart-curve", "chart chart-tokens"])
    for (const chart of page.charts) {
      expect(chart.width, chart.id).toBeGreaterThan(100)
      expect(chart.height, chart.id).toBeGreaterThan(50)
      expect(chart.marks, chart.id).toBeGreaterThan(0)
    }
    expect(page.gridLinks).toHaveLength(4)
    for (const link of page.gridLinks) expect(page.targets).toContain(link)
  })

  it("the comparison page renders its chart without network", async () => {
    const a = mergeSources([source("a.json", laterFile("ilo", [laterRow("t1", "ilo", "m", "failed", 0.01)]))])
    const b = mergeSources([source("b.json", laterFile("ilo", [laterRow("t1", "ilo", "m", "working", 0.01)]))])
    const file = join(root, "test-output", "compare.html")
    writeFileSync(file, await Effect.runPromise(renderCompareHtml(compareSweeps(a, b))))
    const page = await openInChromium(file, "compare.png")
    expect(page.external).toEqual([])
    expect(page.charts).toHaveLength(1)
    expect(page.charts[0]!.marks).toBeGreaterThan(0)
  })
})
