// Preloaded into the CLI's program host by bench/measure-cli.mjs: as the host exits, appends its
// own CPU and its programs' (its reaped children) to the file named by ILO_BENCH_HOST_USAGE, so
// that the benchmark can leave the programs out of the harness's side, as it does of the bare loop's.
const { appendFileSync } = require("node:fs")
const { usage } = require("./usage.cjs")

const file = process.env.ILO_BENCH_HOST_USAGE
if (file) process.on("exit", () => appendFileSync(file, JSON.stringify(usage()) + "\n"))
