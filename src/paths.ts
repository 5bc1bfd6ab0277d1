import { fileURLToPath } from "node:url"

/** The installed package's root (src/ and dist/ both sit one level below it). */
export const packageRoot = fileURLToPath(new URL("../", import.meta.url))

export const HARNESS_VERSION = "0.1.0"
