#!/usr/bin/env node
// The `ilo-bench` command: runs the CLI's bundle (dist/cli.cjs, built from src/main.ts) through
// V8's code cache, so that a start skips compiling the bundle and every function an earlier run
// of the same command compiled. Node 20 has no compile cache for a program of its own.
//
// The cache holds compiled code only, never a value the CLI saw. It is written when a command
// that found none (or one V8 refused) exits 0: one file per build, Node version and command, under
// node_modules/.cache/ilo-bench in the package (writing one removes other builds' files);
// ILO_BENCH_COMPILE_CACHE names another directory, or "off". Any failure to read or write it only
// costs the compile it would have saved.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Script } from "node:vm"
import { boundHeapGrowth } from "./platform/heapGrowth.js"

/** The start of dist/cli.cjs's sha256, set by scripts/build.mjs: a rebuilt bundle never meets an old cache. */
declare const CLI_BUILD: string

// Before the bundle is compiled: V8 keys its code cache on its flags, so a flag set later (as this
// once was, by `run`) made every start's cache a miss, and the cache was rewritten at each exit.
boundHeapGrowth()

const dist = dirname(fileURLToPath(import.meta.url))
const bundle = join(dist, "cli.cjs")
const setting = process.env.ILO_BENCH_COMPILE_CACHE
const cacheDir = setting === "off" ? undefined : setting || join(dist, "..", "node_modules", ".cache", "ilo-bench")

/** What a start compiles depends on the command, and a dry run compiles little of a real one. */
const commandOf = (args: ReadonlyArray<string>) => {
  const command = args.find((arg) => !arg.startsWith("-"))
  const name = command !== undefined && /^[a-z]+$/.test(command) ? command : "main"
  return args.includes("--dry-run") ? `${name}-dry` : name
}

const cacheFile =
  cacheDir && join(cacheDir, `${CLI_BUILD}-${process.version}-${process.arch}-${commandOf(process.argv.slice(2))}.bin`)

let cachedData: Buffer | undefined
if (cacheFile !== undefined) {
  try {
    cachedData = readFileSync(cacheFile)
  } catch {
    // None yet.
  }
}

// The wrapper Node puts around a CommonJS module, compiled as one script so its cache can be taken.
const source = readFileSync(bundle, "utf8")
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  cachedData
})

if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
  process.once("exit", (code) => {
    if (code !== 0) return
    try {
      mkdirSync(dirname(cacheFile), { recursive: true })
      const temp = `${cacheFile}.${process.pid}`
      writeFileSync(temp, script.createCachedData())
      renameSync(temp, cacheFile)
      // Only this build's files are kept: every rebuild would otherwise leave its own behind.
      for (const name of readdirSync(dirname(cacheFile)))
        if (/^[0-9a-f]{16}-.*\.bin$/.test(name) && !name.startsWith(`${CLI_BUILD}-`)) rmSync(join(dirname(cacheFile), name), { force: true })
    } catch {
      // Read-only or full: the next start compiles again.
    }
  })
}

const cjsModule = { exports: {} }
;(script.runInThisContext() as (...args: ReadonlyArray<unknown>) => void)(
  cjsModule.exports,
  createRequire(bundle),
  cjsModule,
  bundle,
  dist
)
