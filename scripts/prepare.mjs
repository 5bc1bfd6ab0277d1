// `npm ci` / `npm install` run this: a full build (typecheck and bundle) unless dist/ was built
// from exactly these sources. npx runs `prepare` again on its first use of a checkout; rebuilding
// then took tens of seconds and replaced dist/ under any ilo-bench already running from it.
import { spawnSync } from "node:child_process"
import { readFile } from "node:fs/promises"
import { inputsHash } from "./inputs.mjs"

const built = await readFile("dist/.inputs", "utf8").then((t) => t.trim(), () => "")
if (built !== "" && built === (await inputsHash())) process.exit(0)
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const r = spawnSync(npm, ["run", "build"], { stdio: "inherit", shell: process.platform === "win32" })
process.exit(r.status ?? 1)
