// The harness benchmark: a loopback scripted model server with a set latency, the real CLI, and
// synthetic tasks whose programs are real processes. Prints JSON and a table. The scheduling
// efficiency is measured beside its floor: a bare client doing the same I/O (bench/floor-client.mjs).
// Usage: npm run bench:harness [-- --quick] [-- --repeat=N] [-- --only=efficiency,startup,cost,overhead,rss] [-- --sandbox=auto|bwrap|none] [-- --latency=MS] [-- --runs=N [--trials=T] [--no-resume]]
// (--quick scales the long measurements down; --repeat runs efficiency and overhead N times, median reported;
// --latency sets the efficiency's second, slower case, 2000 ms by default)
import { spawn } from "node:child_process"
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os"
import { basename, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"

const quick = process.argv.includes("--quick")
/** --repeat=N: the efficiency and overhead measurements run N times; the median is reported (default 3). */
const repeat = Math.max(1, Number(process.argv.find((a) => a.startsWith("--repeat="))?.slice(9) ?? 3))
const onlyArg = process.argv.find((a) => a.startsWith("--only="))
/** --only=efficiency,startup,cost,overhead,rss runs just those. */
const only = onlyArg ? new Set(onlyArg.slice(7).split(",")) : null
const want = (name) => only === null || only.has(name)
/** --latency=MS: the model latency of the efficiency's second case (no target; default 2000 ms, a real model's order). */
const slowLatencyMs = Number(process.argv.find((a) => a.startsWith("--latency="))?.slice(10) ?? 2000)
if (!(Number.isInteger(slowLatencyMs) && slowLatencyMs > 0)) throw new Error(`--latency: expected a whole number of ms above 0`)
/** --sandbox=MODE: the CLI's --sandbox (default: the CLI's own, auto). */
const sandboxArg = process.argv.find((a) => a.startsWith("--sandbox="))?.slice(10)
/** --runs=N (or --runs N): how many runs the peak RSS measure runs (default 10,000; 1,000 with --quick). */
const runsAt = process.argv.findIndex((a) => a === "--runs" || a.startsWith("--runs="))
const rssRuns = runsAt === -1 ? null : Number(process.argv[runsAt].startsWith("--runs=") ? process.argv[runsAt].slice(7) : process.argv[runsAt + 1])
if (rssRuns !== null && !(Number.isInteger(rssRuns) && rssRuns >= 1)) throw new Error(`--runs: expected a whole number of runs, got ${process.argv[runsAt]}`)
/** --no-resume: the peak RSS measure without its resume case (a resume of the benchmark's checkpoint cut after 90% of its runs). */
const skipResume = process.argv.includes("--no-resume")
/** --trials=N: the RSS measure's runs as runs/N tasks of N trials each (default 1: every run a task of its own, the plan's worst case). */
const trialsAt = process.argv.findIndex((a) => a === "--trials" || a.startsWith("--trials="))
const rssTrials = trialsAt === -1 ? 1 : Number(process.argv[trialsAt].startsWith("--trials=") ? process.argv[trialsAt].slice(9) : process.argv[trialsAt + 1])
if (!(Number.isInteger(rssTrials) && rssTrials >= 1 && rssTrials <= 1000)) throw new Error(`--trials: expected a whole number from 1 to 1000, got ${process.argv[trialsAt]}`)
const here = fileURLToPath(new URL(".", import.meta.url))
const root = join(here, "..")
const bin = join(root, "dist", "bin.js")
const catalog = JSON.parse(readFileSync(join(here, "models.json"), "utf8"))
const haiku = catalog.models.find((m) => m.alias === "haiku")

// ---- the scripted model server ---------------------------------------------------------------

/** About four characters a token, as a stand-in tokenizer. */
const tokens = (text) => Math.ceil(Buffer.byteLength(text, "utf8") / 4)

/**
 * A loopback server speaking the Messages wire format. It answers after `latencyMs` with a program
 * chosen by `program(body, n)`, and bills like a prompt cache would: the system blocks up to the
 * last cache mark are written on first sight and read afterwards; everything else is uncached input.
 */
const startModelServer = async ({ latencyMs, program }) => {
  const cache = new Set()
  let first = null
  let count = 0
  const arrivals = []
  /** The reply to one Messages request, billed as the cache would bill it. */
  const answer = (body) => {
    const n = count++
    const system = typeof body.system === "string" ? [{ text: body.system }] : body.system
    const mark = system.findLastIndex((b) => b.cache_control !== undefined)
    const prefix = mark >= 0 ? system.slice(0, mark + 1) : []
    const prefixTokens = prefix.reduce((t, b) => t + tokens(b.text), 0)
    const rest = system.slice(mark + 1).reduce((t, b) => t + tokens(b.text), 0) +
      body.messages.reduce((t, m) => t + tokens(m.content), 0)
    const key = body.model + JSON.stringify(prefix)
    const hit = mark >= 0 && cache.has(key)
    if (mark >= 0) cache.add(key)
    return {
      n,
      message: {
        id: `msg_${n}`, type: "message", role: "assistant", model: body.model,
        content: [{ type: "text", text: program(body, n) }],
        stop_reason: "end_turn", stop_sequence: null,
        usage: {
          input_tokens: rest, output_tokens: 12,
          cache_creation_input_tokens: mark >= 0 && !hit ? prefixTokens : 0,
          cache_read_input_tokens: hit ? prefixTokens : 0
        }
      }
    }
  }
  // Message Batches (--batch): a batch's requests are answered in order as it is created, and it
  // has ended when first polled; its results are one JSONL line per request.
  const batches = new Map()
  const batchView = (id, host) => {
    const lines = batches.get(id)
    return {
      id, type: "message_batch", processing_status: "ended",
      request_counts: { processing: 0, succeeded: lines.length, errored: 0, expired: 0, canceled: 0 },
      created_at: new Date().toISOString(), expires_at: new Date().toISOString(), ended_at: new Date().toISOString(),
      archived_at: null, cancel_initiated_at: null, results_url: `http://${host}/v1/messages/batches/${id}/results`
    }
  }
  const batchRoute = (req, raw) => {
    const path = (req.url ?? "").split("?")[0]
    if (req.method === "POST" && path === "/v1/messages/batches") {
      const id = `msgbatch_${batches.size + 1}`
      batches.set(id, JSON.parse(raw).requests.map(({ custom_id, params }) =>
        JSON.stringify({ custom_id, result: { type: "succeeded", message: answer(params).message } })))
      return { type: "application/json", body: JSON.stringify(batchView(id, req.headers.host)) }
    }
    const m = /^\/v1\/messages\/batches\/([^/]+)(\/results)?$/.exec(path)
    if (req.method !== "GET" || m === null || !batches.has(m[1])) return undefined
    return m[2] !== undefined
      ? { type: "application/binary", body: batches.get(m[1]).join("\n") + "\n" }
      : { type: "application/json", body: JSON.stringify(batchView(m[1], req.headers.host)) }
  }
  const server = createServer((req, res) => {
    let raw = ""
    req.on("data", (c) => (raw += c))
    req.on("end", () => {
      first ??= performance.now()
      arrivals.push(performance.now())
      const routed = batchRoute(req, raw)
      if (routed !== undefined) {
        res.writeHead(200, { "content-type": routed.type, "request-id": "req_batch" })
        return res.end(routed.body)
      }
      const { n, message } = answer(JSON.parse(raw))
      const reply = JSON.stringify(message)
      const send = () => {
        res.writeHead(200, { "content-type": "application/json", "request-id": `req_${n}` })
        res.end(reply)
      }
      if (latencyMs > 0) setTimeout(send, latencyMs)
      else send()
    })
  })
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    firstRequestAt: () => first,
    lastRequestAt: () => arrivals.at(-1) ?? null,
    requests: () => count,
    arrivals: () => arrivals,
    batches: () => batches.size,
    close: () => new Promise((resolve) => server.close(resolve))
  }
}

/** The task a request is about and what it must print. */
const expectedOf = (body) => /Expected output: (.*)\n/.exec(body.messages[0].content)?.[1] ?? ""
const isIlo = (body) => JSON.stringify(body.system).includes("ilo programming language expert")
/** A program that prints the expected output: bash for the ilo leg, JavaScript for the node leg. */
const printing = (body) => (isIlo(body) ? `echo ${expectedOf(body)}` : `console.log(${JSON.stringify(expectedOf(body))})`)

// ---- fixtures ----------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), "ilo-bench-harness-"))
/** The CLI's compile cache (src/bin.ts), the benchmark's own: its first start of each command writes it. */
const compileCache = join(work, "compile-cache")
const MODULES = ["ilo-language", "ilo-builtins-core", "ilo-builtins-text", "ilo-builtins-math", "ilo-builtins-io"]

/** A stand-in ilo: --version, `skill get` from files beside it, and `FILE main` runs FILE with bash. */
const standInIlo = (docTokens) => {
  const dir = mkdtempSync(join(work, "ilo-"))
  const perModule = Math.floor((docTokens * 4) / MODULES.length)
  for (const m of MODULES) {
    const head = `# ${m}\n`
    writeFileSync(join(dir, `${m}.md`), head + "x".repeat(Math.max(0, perModule - head.length - 1)) + "\n")
  }
  const bin = join(dir, "ilo")
  writeFileSync(bin, `#!/usr/bin/env bash
if [ "$1" = "--version" ]; then echo "ilo 0.0.0-standin"; exit 0; fi
if [ "$1" = "skill" ] && [ "$2" = "get" ]; then cat "${dir}/$3.md" 2>/dev/null && exit 0; exit 1; fi
exec bash "$1"
`)
  chmodSync(bin, 0o755)
  return bin
}

const tasksFile = (count) => {
  const file = join(work, `tasks-${count}.json`)
  const tasks = Array.from({ length: count }, (_, i) => ({ id: `t${i}`, description: `Print the number ${i}.`, expected_output: String(i) }))
  writeFileSync(file, JSON.stringify({ tasks }))
  return file
}

/**
 * Runs a Node script from this process with the given environment; resolves with when it started
 * and when its stderr closed (the clock every measure here reads), or rejects with the tail of its
 * stderr if it failed. The CLI and the floor client are both timed by it.
 */
const runNode = (name, nodeArgs, env) =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, nodeArgs, { env, stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (c) => {
      if (stderr.length < 20000) stderr += c
    })
    child.on("error", reject)
    child.on("close", (code) => {
      const ended = performance.now()
      if (code !== 0) return reject(new Error(`${name} exited ${code}: ${stderr.slice(-2000)}`))
      resolve({ started, ended })
    })
  })

/** Runs the CLI (through measure-cli.mjs, for its own CPU and RSS); resolves with timings and the report. */
const runCli = async (args, { url }, { readReport = true, beforeRemoving } = {}) => {
  const out = join(work, `usage-${Math.random().toString(36).slice(2)}.json`)
  const outputDir = mkdtempSync(join(work, "out-"))
  const sandbox = sandboxArg === undefined ? [] : ["--sandbox", sandboxArg]
  // BENCH_CLI_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" (or --heap-prof, --trace-gc): Node's options for the CLI's process alone.
  const nodeArgs = (process.env.BENCH_CLI_NODE_ARGS ?? "").split(" ").filter(Boolean)
  const { started, ended } = await runNode("ilo-bench", [...nodeArgs, join(here, "measure-cli.mjs"), out, "run", "--output-dir", outputDir, "--model", "haiku", ...sandbox, ...args], {
    PATH: process.env.PATH,
    HOME: work,
    ANTHROPIC_API_KEY: "sk-bench-not-a-secret",
    ANTHROPIC_BASE_URL: url,
    ILO_BENCH_COMPILE_CACHE: compileCache,
  })
  const reportFile = readdirSync(outputDir).find((f) => f.endsWith(".json"))
  // The RSS measure at 100,000 runs does not read its report: parsing it would need more memory than the CLI.
  const report = reportFile && readReport ? JSON.parse(readFileSync(join(outputDir, reportFile), "utf8")) : null
  // BENCH_KEEP_OUTPUT=DIR: each run's checkpoint and reports are kept there (to render them again, or compare builds).
  if (process.env.BENCH_KEEP_OUTPUT) cpSync(outputDir, join(process.env.BENCH_KEEP_OUTPUT, basename(outputDir)), { recursive: true })
  // The RSS measure's resume case takes the checkpoint first.
  beforeRemoving?.(outputDir)
  rmSync(outputDir, { recursive: true, force: true })
  return { started, ended, usage: JSON.parse(readFileSync(out, "utf8")), report }
}

/** Runs `measure` `repeat` times; the sample with the median `key`, with every sample's value beside it. */
const median = async (key, measure) => {
  const samples = []
  for (let i = 0; i < repeat; i++) samples.push(await measure())
  return medianOf(key, samples)
}

/** The sample with the median `key`, with every sample's value beside it. */
const medianOf = (key, samples) => {
  const sorted = [...samples].sort((a, b) => a[key] - b[key])
  const also = Object.fromEntries(["cli_cpu_ms", "last_request_ms", "after_last_request_ms", "exit_to_close_ms"].filter((k) => k in samples[0]).map((k) => [`${k}_samples`, samples.map((s) => s[k])]))
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], samples: samples.map((s) => s[key]), ...also }
}

const cpuMs = (u) => u.userMs + u.systemMs
const childCpuMs = (u) => (u.childUserMs ?? 0) + (u.childSystemMs ?? 0)
/** The process and its reaped children (bench/usage.cjs). */
const allCpuMs = (u) => cpuMs(u) + childCpuMs(u)
/** The program hosts' own CPU, and their programs' (bench/measure-cli.mjs, `host`). */
const hostSelfMs = (hosts) => hosts.reduce((sum, h) => sum + cpuMs(h), 0)
const hostProgramsMs = (hosts) => hosts.reduce((sum, h) => sum + childCpuMs(h), 0)
const round = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits

// ---- 1. scheduling efficiency ------------------------------------------------------------------

const RUNS = 96, CONCURRENCY = 16

const schedulingEfficiency = async (programs, latencyMs = 500) => {
  const runs = RUNS, concurrency = CONCURRENCY
  const server = await startModelServer({ latencyMs, program: printing })
  const ilo = standInIlo(500)
  // bash: 96 tasks on the ilo leg (bash programs); node: 48 tasks x (ilo, node) with JavaScript programs on the second leg.
  const args = programs === "bash"
    ? ["--tasks-file", tasksFile(runs)]
    : ["--tasks-file", tasksFile(runs / 2), "--lang2-name", "node", "--lang2-bin", "node", "--lang2-ext", ".js"]
  const r = await runCli(["--ilo", ilo, "--concurrency", String(concurrency), ...args], server)
  await server.close()
  const working = r.report.results.filter((x) => x.final_outcome === "working").length
  const ideal = (runs * latencyMs) / concurrency
  const actual = r.ended - server.firstRequestAt()
  if (process.env.BENCH_DEBUG) console.error(server.arrivals().map((t) => Math.round(t - server.firstRequestAt())).join(" "), "end", Math.round(actual))
  // Beside the target's figure, two that a loaded machine moves less: the CLI process's own CPU
  // time, and the time from the last request to the exit (the last wave's latency, its programs and the reports).
  const extra = {
    cli_cpu_ms: round(cpuMs(r.usage), 0),
    // When the last request reached the server, from the first: (waves - 1) x latency if every
    // wave's requests went out together; what it is over that is the lag the waves added up.
    last_request_ms: round(server.lastRequestAt() - server.firstRequestAt(), 0),
    after_last_request_ms: round(r.ended - server.lastRequestAt(), 0),
    // From the CLI process's exit to its output's end (a child still holding it open keeps the benchmark waiting).
    exit_to_close_ms: round(performance.timeOrigin + r.ended - r.usage.rss.at(-1)[0], 0)
  }
  return { programs, runs, concurrency, latency_ms: latencyMs, working, ideal_ms: ideal, actual_ms: round(actual, 0), ...extra, efficiency: round(ideal / actual, 3), target: ">= 0.95", met: ideal / actual >= 0.95 }
}

/**
 * Runs the floor client (bench/floor-client.mjs) as runCli runs the CLI: started from this
 * process, against the same server, timed to its close.
 */
const runFloor = async (args, { url }) => {
  const out = join(work, `floor-${Math.random().toString(36).slice(2)}.json`)
  const { started, ended } = await runNode("the floor client", [join(here, "floor-client.mjs"), out, url, ...args], { PATH: process.env.PATH, HOME: work })
  return { started, ended, summary: JSON.parse(readFileSync(out, "utf8")) }
}

/**
 * The same measure of a bare client doing at the least what the CLI does per attempt (a model
 * request, the checkpoint's lines, the program through a Node program host, a progress line):
 * the efficiency this machine allows at this moment, the floor the CLI's is read against.
 * Without programs: the request, the lines and the progress alone.
 */
const floorEfficiency = async (withPrograms, latencyMs = 500) => {
  const server = await startModelServer({ latencyMs, program: printing })
  const ilo = standInIlo(500)
  const sandbox = sandboxArg ?? "auto"
  // Its sandbox is the CLI's: bwrap's arguments from the CLI's own source.
  const sandboxModule = await bundledSource("services/programProcess.ts")
  const r = await runFloor([ilo, tasksFile(RUNS), String(CONCURRENCY), withPrograms ? "programs" : "no-programs", sandbox, sandboxModule], server)
  await server.close()
  if (withPrograms && r.summary.working !== RUNS) throw new Error(`the floor client ran ${r.summary.working} of ${RUNS} programs to the expected output`)
  const ideal = (RUNS * latencyMs) / CONCURRENCY
  const actual = r.ended - server.firstRequestAt()
  return {
    efficiency: round(ideal / actual, 3),
    actual_ms: round(actual, 0),
    last_request_ms: round(server.lastRequestAt() - server.firstRequestAt(), 0),
    after_last_request_ms: round(r.ended - server.lastRequestAt(), 0),
    sandbox: r.summary.sandbox
  }
}

/**
 * The CLI's efficiency and its floors, sampled in turn within each repeat (the machine's load
 * moves over minutes: taken side by side, the samples see the same machine), the order rotated
 * each repeat so that no side always comes first. `sides` maps a name to its measure.
 */
const alternated = async (sides) => {
  const names = Object.keys(sides)
  const samples = Object.fromEntries(names.map((n) => [n, []]))
  for (let i = 0; i < repeat; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length]
      samples[name].push(await sides[name]())
    }
  }
  return samples
}

/** A floor's figures: its median efficiency, every sample's, and where its programs ran. */
const floorSummary = (samples) => {
  const m = medianOf("efficiency", samples)
  return { median: m.efficiency, samples: m.samples, actual_ms: m.actual_ms, last_request_ms: m.last_request_ms, after_last_request_ms: m.after_last_request_ms, last_request_ms_samples: samples.map((s) => s.last_request_ms), sandbox: m.sandbox }
}

/** The CLI's median sample with its floors beside it, and its efficiency as a share of the floor. */
const withFloors = (samples) => {
  const cli = medianOf("efficiency", samples.cli)
  const floor = floorSummary(samples.floor)
  return {
    ...cli,
    floor,
    ...(samples.floor_no_programs ? { floor_no_programs: floorSummary(samples.floor_no_programs) } : {}),
    of_floor: round(cli.efficiency / floor.median, 3),
    // Each repeat's CLI sample over the floor sample taken beside it.
    of_floor_samples: samples.cli.map((c, i) => round(c.efficiency / samples.floor[i].efficiency, 3))
  }
}

// ---- 2. harness overhead -----------------------------------------------------------------------

/** The bare loop over `runs` programs: its own CPU and its children's (bench/bare-loop.mjs). */
const bareLoop = async (runs, ilo) => {
  const out = join(work, `bare-${runs}.json`)
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, "bare-loop.mjs"), out, String(runs), ilo, "{file}", "main"], { stdio: "inherit" })
    child.on("error", reject)
    child.on("close", resolve)
  })
  return JSON.parse(readFileSync(out, "utf8"))
}

/** A module of the CLI's source, bundled once into the work directory for a bench script to import. */
const bundles = new Map()
const bundledSource = (source) => {
  if (!bundles.has(source)) {
    const outfile = join(work, source.replaceAll("/", "-").replace(/\.ts$/, ".mjs"))
    bundles.set(source, build({ entryPoints: [join(root, "src", source)], bundle: true, format: "esm", platform: "node", outfile, logLevel: "warning" }).then(() => pathToFileURL(outfile).href))
  }
  return bundles.get(source)
}

/**
 * One model request alone (bench/request-floor.mjs), against the same server and with the same
 * documentation size: through the SDK with the harness's fetch, and as a bare node:http POST.
 */
const requestFloor = async (server, requests, docChars) => {
  // The harness's own fetch.
  const fetchModule = await bundledSource("providers/nodeFetch.ts")
  const one = (mode) =>
    new Promise((resolve, reject) => {
      const out = join(work, `floor-${mode}.json`)
      const args = [join(here, "request-floor.mjs"), out, server.url, String(requests), "4", String(docChars), mode, fetchModule]
      const child = spawn(process.execPath, args, { stdio: "inherit" })
      child.on("error", reject)
      child.on("close", (code) => (code === 0 ? resolve(JSON.parse(readFileSync(out, "utf8")).cpu_ms_per_request) : reject(new Error(`request-floor ${mode} exited ${code}`))))
    })
  return { sdk: await one("sdk"), http: await one("http") }
}

const harnessOverhead = async () => {
  const runs = quick ? 100 : 500
  const fewer = runs / 5
  const ilo = standInIlo(500)
  const server = await startModelServer({ latencyMs: 0, program: printing })
  const harness = await runCli(["--ilo", ilo, "--tasks-file", tasksFile(runs), "--concurrency", "4"], server)
  const harnessFewer = await runCli(["--ilo", ilo, "--tasks-file", tasksFile(fewer), "--concurrency", "4"], server)
  const floor = await requestFloor(server, runs, 500 * 4)
  await server.close()
  const startup = await runCli(["--ilo", ilo, "--tasks-file", tasksFile(runs), "--dry-run"], { url: "http://127.0.0.1:9" })
  const bare = await bareLoop(runs, ilo)
  const bareFewer = await bareLoop(fewer, ilo)
  // Without the host's own figures the programs would silently count as overhead.
  for (const r of [harness, harnessFewer])
    if (r.usage.host.length === 0) throw new Error("the program host wrote no usage (bench/measure-cli.mjs): is dist/ built from this tree?")
  // The target's figure: everything the CLI costs and waited for (its program host, its language
  // probes) but the programs, against the bare loop's process; each side's programs measured apart.
  const overhead = (cli, bareSide) => allCpuMs(cli) - hostProgramsMs(cli.host) - cpuMs(bareSide)
  // The same from totals (everything each side waited for, programs included on both sides): no
  // part of the harness can hide in a helper process, but the programs' CPU, measured at
  // different times on the two sides, adds the machine's drift to it.
  const perAttempt = allCpuMs(harness.usage) / runs
  const barePerAttempt = allCpuMs(bare) / runs
  const steady = (allCpuMs(harness.usage) - allCpuMs(startup.usage)) / runs
  // What one more attempt costs, fixed costs (start-up, loading the SDK, the reports) left out.
  const total = overhead(harness.usage, bare)
  const marginal = (total - overhead(harnessFewer.usage, bareFewer)) / (runs - fewer)
  const marginalTotals = (allCpuMs(harness.usage) - allCpuMs(harnessFewer.usage)) / (runs - fewer) - (allCpuMs(bare) - allCpuMs(bareFewer)) / (runs - fewer)
  const perAttemptOverhead = total / runs
  return {
    runs,
    harness_cpu_ms: round(allCpuMs(harness.usage), 0),
    harness_process_alone_cpu_ms_per_attempt: round(cpuMs(harness.usage) / runs),
    program_host_cpu_ms_per_attempt: round(hostSelfMs(harness.usage.host) / runs),
    harness_programs_cpu_ms_per_attempt: round(hostProgramsMs(harness.usage.host) / runs),
    bare_loop_process_alone_cpu_ms_per_attempt: round(cpuMs(bare) / runs),
    bare_loop_programs_cpu_ms_per_attempt: round(childCpuMs(bare) / runs),
    overhead_ms_per_attempt: round(perAttemptOverhead),
    marginal_overhead_ms_per_attempt: round(marginal),
    // Programs included on both sides (the figure of the earlier passes).
    harness_cpu_ms_per_attempt: round(perAttempt),
    bare_loop_cpu_ms_per_attempt: round(barePerAttempt),
    overhead_with_programs_ms_per_attempt: round(perAttempt - barePerAttempt),
    marginal_overhead_with_programs_ms_per_attempt: round(marginalTotals),
    harness_startup_cpu_ms: round(allCpuMs(startup.usage), 0),
    overhead_with_programs_ms_per_attempt_after_startup: round(steady - barePerAttempt),
    // Not part of the target: what the model request inside each attempt costs by itself.
    request_alone_sdk_cpu_ms: round(floor.sdk),
    request_alone_node_http_cpu_ms: round(floor.http),
    working: harness.report.results.filter((x) => x.final_outcome === "working").length,
    // No target: the per-attempt CPU target is retired (an attempt waits seconds on a model).
    target: "none"
  }
}

// ---- 3. peak RSS -------------------------------------------------------------------------------

/**
 * The first lines of a checkpoint, up to and with its `share` of its run lines: what an interrupt
 * (or a crash) at that point leaves, every line whole, its signatures' chain intact.
 */
const cutCheckpoint = (from, to, share) => {
  const bytes = readFileSync(from)
  const isRun = (at) => bytes.toString("utf8", at, at + 13) === '{"type":"run"'
  let runs = 0
  for (let at = 0; at < bytes.length; at = bytes.indexOf(10, at) + 1) if (isRun(at)) runs++
  const keep = Math.floor(runs * share)
  let seen = 0
  let end = 0
  for (let at = 0; seen < keep; at = bytes.indexOf(10, at) + 1) {
    if (isRun(at)) seen++
    end = bytes.indexOf(10, at) + 1
  }
  writeFileSync(to, bytes.subarray(0, end))
  return { runs, kept: keep }
}

/** What a measured CLI process held: its peak RSS, and its highest sample up to the server's last model request and after it. */
const rssPhases = (r, server) => {
  const mb = r.usage.maxRssKb / 1024
  // Which phase reached the peak: the runs (up to the last model request) or the reports after them
  // (bench/measure-cli.mjs samples the resident size every 100 ms).
  const last = performance.timeOrigin + server.lastRequestAt()
  const peakOf = (samples) => round(Math.max(0, ...samples.map(([, kb]) => kb)) / 1024, 1)
  if (process.env.BENCH_DEBUG) {
    const step = Math.max(1, Math.floor(r.usage.rss.length / 40))
    console.error("rss MB by second (r: runs, R: reports):", r.usage.rss.filter((_, i) => i % step === 0).map(([t, ...kb]) => `${round((t - r.usage.rss[0][0]) / 1000, 0)}s${t <= last ? "r" : "R"}:${kb.map((k) => round(k / 1024, 0)).join("/")}`).join(" "))
  }
  return {
    peak_rss_mb: round(mb, 1),
    runs_sampled_peak_mb: peakOf(r.usage.rss.filter(([t]) => t <= last)),
    reports_sampled_peak_mb: peakOf(r.usage.rss.filter(([t]) => t > last)),
    reports_s: round((r.usage.rss.at(-1)[0] - last) / 1000, 1),
    wall_s: round((r.ended - r.started) / 1000, 1),
    target: "<= 300 MB",
    met: mb <= 300
  }
}

const peakRss = async () => {
  const runs = rssRuns ?? (quick ? 1000 : 10000)
  const ilo = standInIlo(500)
  const server = await startModelServer({ latencyMs: 0, program: printing })
  if (runs % rssTrials !== 0) throw new Error(`--trials ${rssTrials} does not divide --runs ${runs}`)
  const args = ["--ilo", ilo, "--tasks-file", tasksFile(runs / rssTrials), "--trials", String(rssTrials), "--concurrency", "8"]
  // The resume case: the benchmark's checkpoint cut after 90% of its runs (as an interrupt there
  // leaves it), then resumed with the same arguments; the resume reads the checkpoint, runs the
  // rest and writes the reports of every run.
  const resumeDir = mkdtempSync(join(work, "resume-"))
  const cut = join(resumeDir, "closed-loop-cut.jsonl")
  let lines
  const r = await runCli(args, server, {
    readReport: false,
    beforeRemoving: (outputDir) => {
      if (skipResume) return
      const checkpoint = readdirSync(outputDir).find((f) => f.endsWith(".jsonl"))
      lines = cutCheckpoint(join(outputDir, checkpoint), cut, 0.9)
    }
  })
  await server.close()
  const run = rssPhases(r, server)
  let resume
  if (!skipResume) {
    const again = await startModelServer({ latencyMs: 0, program: printing })
    const resumed = await runCli([...args, "--resume", cut], again, { readReport: false })
    await again.close()
    resume = { runs_kept: lines.kept, runs_run: runs - lines.kept, ...rssPhases(resumed, again) }
  }
  if (process.env.BENCH_KEEP_OUTPUT && !skipResume) cpSync(resumeDir, join(process.env.BENCH_KEEP_OUTPUT, basename(resumeDir)), { recursive: true })
  rmSync(resumeDir, { recursive: true, force: true })
  return { runs, tasks: runs / rssTrials, trials: rssTrials, ...run, ...(resume === undefined ? {} : { resume }) }
}


// ---- 4. start-up time --------------------------------------------------------------------------

/** One `ilo-bench --help`, wall time in ms. */
const helpOnce = async () => {
  const t0 = performance.now()
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "--help"], { stdio: "ignore", env: { ...process.env, ILO_BENCH_COMPILE_CACHE: compileCache } })
    child.on("error", reject)
    child.on("close", resolve)
  })
  return performance.now() - t0
}

/** The first start compiles the bundle and writes the compile cache; the 11 measured after it use it. */
const startupTime = async () => {
  const first = await helpOnce()
  const times = []
  for (let i = 0; i < 11; i++) times.push(await helpOnce())
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]
  return { command: "ilo-bench --help", samples: times.length, median_ms: round(median, 0), min_ms: round(times[0], 0), first_start_ms: round(first, 0), target: "<= 400 ms", met: median <= 400 }
}

/**
 * A first start of `run` and of `run --dry-run`, so that the measurements see the CLI as every
 * start after the first does: with its compile cache written.
 */
const warmCompileCache = async () => {
  const server = await startModelServer({ latencyMs: 0, program: printing })
  await runCli(["--ilo", standInIlo(500), "--tasks-file", tasksFile(4)], server)
  await server.close()
  await runCli(["--ilo", standInIlo(500), "--tasks-file", tasksFile(4), "--dry-run"], { url: "http://127.0.0.1:9" })
}

// ---- 5. billed input cost: aligned + warm cache, and in batches, vs the seed's layout ------------

/** A run's input as billed: at list prices, or at the catalog's batch prices for a run sent in batches. */
const inputUsd = (r, price = haiku) =>
  (r.input_cache_miss_tokens * price.input + r.input_cache_write_tokens * price.cache_write + r.input_cache_hit_tokens * price.cache_read) / 1e6

const alignedVsSeed = async () => {
  const loops = 4, attempts = 5, docTokens = 6000
  const ilo = standInIlo(docTokens)
  const byTask = new Map()
  // Every loop fails four times and works on the fifth attempt.
  const program = (body) => {
    const key = expectedOf(body) || body.messages[0].content
    const n = (byTask.get(key) ?? 0) + 1
    byTask.set(key, n)
    return n < attempts ? "exit 3" : printing(body)
  }
  const measure = async (layout, more = []) => {
    byTask.clear()
    const server = await startModelServer({ latencyMs: 0, program })
    const r = await runCli(["--ilo", ilo, "--tasks-file", tasksFile(loops), "--concurrency", "1", layout, "--cache", "warm", ...more], server)
    const batches = server.batches()
    await server.close()
    const batched = more.includes("--batch")
    // A batch arm that sent no batch, or a run not marked as batched, would measure nothing.
    if (batched && (batches === 0 || r.report.results.some((x) => x.batch !== true))) throw new Error("the batch arm sent no Message Batch")
    return r.report.results.map((x) => ({ attempts: x.attempts_total, input_usd: inputUsd(x, batched ? haiku.batch : haiku), outcome: x.final_outcome, batches }))
  }
  const aligned = await measure("--align")
  const seed = await measure("--no-align")
  // Every loop at once, each attempt k of the four in one wave (five waves), at the batch price.
  const batch = await measure("--align", ["--batch", "--batch-poll", "0.05"])
  const sum = (xs) => xs.reduce((a, b) => a + b.input_usd, 0)
  const ratio = sum(aligned) / sum(seed)
  const batchRatio = sum(batch) / sum(seed)
  results.cost_batch_vs_seed = {
    model: `${haiku.id}: the batch arm at the catalog's batch prices, the seed at list prices`,
    arm: "--batch --align --cache warm against --no-align (interactive)",
    doc_tokens: docTokens,
    attempts_per_loop: attempts,
    loops,
    waves: batch[0]?.batches ?? 0,
    batch_input_usd_per_loop: round(sum(batch) / loops, 6),
    seed_input_usd_per_loop: round(sum(seed) / loops, 6),
    ratio: round(batchRatio, 3),
    all_working: batch.every((x) => x.outcome === "working" && x.attempts === attempts),
    target: "batch+aligned <= 10% of seed layout",
    met: batchRatio <= 0.1
  }
  return {
    model: `${haiku.id} at list prices`,
    doc_tokens: docTokens,
    attempts_per_loop: attempts,
    loops,
    seed_input_usd_per_loop: round(sum(seed) / loops, 6),
    aligned_first_loop_input_usd: round(aligned[0].input_usd, 6),
    aligned_later_loop_input_usd: round(sum(aligned.slice(1)) / (loops - 1), 6),
    ratio_first_loop: round(aligned[0].input_usd / seed[0].input_usd, 3),
    ratio_later_loops: round(sum(aligned.slice(1)) / sum(seed.slice(1)), 3),
    ratio_all_loops: round(ratio, 3),
    target: "aligned <= 25% of seed layout",
    met: ratio <= 0.25
  }
}

// ---- main --------------------------------------------------------------------------------------

const machine = { node: process.version, cpus: availableParallelism(), cpu_model: cpus()[0]?.model ?? "?", loadavg_at_start: loadavg().map((x) => round(x)) }
const results = { machine, quick, sandbox: sandboxArg ?? "auto (the default)" }
try {
  if (["efficiency", "cost", "overhead", "rss"].some(want)) await warmCompileCache()
  if (want("efficiency")) {
    results.scheduling_efficiency = withFloors(await alternated({
      cli: () => schedulingEfficiency("bash"),
      floor: () => floorEfficiency(true),
      floor_no_programs: () => floorEfficiency(false)
    }))
    // A model's real latency is seconds: the fixed cost of each wave shrinks against it.
    const { target, met, ...slow } = withFloors(await alternated({
      cli: () => schedulingEfficiency("bash", slowLatencyMs),
      floor: () => floorEfficiency(true, slowLatencyMs)
    }))
    results.scheduling_efficiency_slow = { ...slow, target: "none (the target is at 500 ms)" }
  }
  if (want("efficiency")) {
    const { target, met, ...node } = await median("efficiency", () => schedulingEfficiency("bash+node"))
    results.scheduling_efficiency_node = { ...node, target: "none (a harder case than the target's bash programs)" }
  }
  console.error(`${"scheduling_efficiency"}: ${JSON.stringify(results.scheduling_efficiency)}`)
  if (want("efficiency")) console.error(`${"scheduling_efficiency_slow"}: ${JSON.stringify(results.scheduling_efficiency_slow)}`)
  if (want("startup")) results.startup = await startupTime()
  console.error(`${"startup"}: ${JSON.stringify(results.startup)}`)
  if (want("cost")) results.cost_aligned_vs_seed = await alignedVsSeed()
  console.error(`${"cost_aligned_vs_seed"}: ${JSON.stringify(results.cost_aligned_vs_seed)}`)
  if (want("cost")) console.error(`${"cost_batch_vs_seed"}: ${JSON.stringify(results.cost_batch_vs_seed)}`)
  if (want("overhead")) results.harness_overhead = await median("overhead_ms_per_attempt", harnessOverhead)
  console.error(`${"harness_overhead"}: ${JSON.stringify(results.harness_overhead)}`)
  if (want("rss")) results.peak_rss = await peakRss()
  console.error(`${"peak_rss"}: ${JSON.stringify(results.peak_rss)}`)
} finally {
  // BENCH_KEEP_OUTPUT: the checkpoints kept are resumed or reported with what is here (their signing keys, the stand-in ilo, the tasks files).
  if (process.env.BENCH_KEEP_OUTPUT) console.error(`kept: ${work} (HOME of the runs)`)
  else rmSync(work, { recursive: true, force: true })
}
results.machine.loadavg_at_end = loadavg().map((x) => round(x))

console.log(JSON.stringify(results, null, 2))
const r = results
const rows = [
  r.scheduling_efficiency && ["scheduling efficiency (96 runs, c=16, 500 ms)", r.scheduling_efficiency.efficiency, ">= 0.95", r.scheduling_efficiency.met],
  // The floor: a bare client with the same I/O per attempt, sampled in turn with the CLI (no target).
  r.scheduling_efficiency && ["  floor: bare client, same I/O and programs", r.scheduling_efficiency.floor.median, "", null],
  r.scheduling_efficiency && ["  floor without programs (HTTP, files, stderr)", r.scheduling_efficiency.floor_no_programs.median, "", null],
  r.scheduling_efficiency && ["  CLI / floor", r.scheduling_efficiency.of_floor, "", null],
  // Not the target's figure (bench/README.md): shown against the same bound, without a verdict.
  r.scheduling_efficiency_node && ["  same, half the runs node programs (no target)", r.scheduling_efficiency_node.efficiency, "", null],
  r.scheduling_efficiency_slow && [`scheduling efficiency at ${r.scheduling_efficiency_slow.latency_ms} ms (no target)`, r.scheduling_efficiency_slow.efficiency, "", null],
  r.scheduling_efficiency_slow && [`  floor at ${r.scheduling_efficiency_slow.latency_ms} ms`, r.scheduling_efficiency_slow.floor.median, "", null],
  r.scheduling_efficiency_slow && [`  CLI / floor at ${r.scheduling_efficiency_slow.latency_ms} ms`, r.scheduling_efficiency_slow.of_floor, "", null],
  r.harness_overhead && ["harness CPU overhead per attempt (ms, no target)", r.harness_overhead.overhead_ms_per_attempt, "", null],
  r.harness_overhead && ["  same, one more attempt (fixed costs left out)", r.harness_overhead.marginal_overhead_ms_per_attempt, "", null],
  r.harness_overhead && ["  with the programs on both sides", r.harness_overhead.overhead_with_programs_ms_per_attempt, "", null],
  r.harness_overhead && ["  a model request alone, through the SDK (ms)", r.harness_overhead.request_alone_sdk_cpu_ms, "", null],
  r.harness_overhead && ["  a model request alone, bare node:http (ms)", r.harness_overhead.request_alone_node_http_cpu_ms, "", null],
  r.peak_rss && [`peak RSS, ${r.peak_rss.runs} runs (MB)`, r.peak_rss.peak_rss_mb, "<= 300", r.peak_rss.met],
  r.peak_rss?.resume && [`  --resume of it cut after ${r.peak_rss.resume.runs_kept} runs (MB)`, r.peak_rss.resume.peak_rss_mb, "<= 300", r.peak_rss.resume.met],
  r.startup && ["--help start-up, median (ms)", r.startup.median_ms, "<= 400", r.startup.met],
  r.startup && ["  the first start after a build (ms)", r.startup.first_start_ms, "", null],
  r.cost_aligned_vs_seed && ["aligned+warm / seed input cost", r.cost_aligned_vs_seed.ratio_all_loops, "<= 0.25", r.cost_aligned_vs_seed.met],
  r.cost_batch_vs_seed && ["batch+aligned+warm / seed input cost", r.cost_batch_vs_seed.ratio, "<= 0.10", r.cost_batch_vs_seed.met]
].filter(Boolean)
const w = [48, 10, 9, 6]
const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join(" | ")
console.log("\n" + line(["measure", "value", "target", "met"]))
console.log(w.map((n) => "-".repeat(n)).join("-|-"))
for (const row of rows) console.log(line([row[0], row[1], row[2], row[3] === null ? "" : row[3] ? "yes" : "NO"]))
