import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

/** The heap and array buffers in use after full collections: what a test of memory held per run compares. */
export const liveBytes = (): number => {
  setFlagsFromString("--expose-gc")
  const gc = runInNewContext("gc") as () => void
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
