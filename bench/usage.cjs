// CPU and memory of this process, and of its children that have been waited for (on Linux, from
// /proc/self/stat: utime, stime, cutime, cstime in clock ticks). The children's time includes
// their own reaped children: for the CLI, the program host and every program it ran.
// CommonJS, so that the program host can preload it (bench/host-usage.cjs).
const { readFileSync } = require("node:fs")

const TICK_MS = 10 // USER_HZ is 100 on Linux

const childrenMs = () => {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { childUserMs: Number(fields[13]) * TICK_MS, childSystemMs: Number(fields[14]) * TICK_MS }
  } catch {
    return { childUserMs: null, childSystemMs: null }
  }
}

exports.usage = () => {
  const u = process.resourceUsage()
  return { userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000, maxRssKb: u.maxRSS, ...childrenMs() }
}
