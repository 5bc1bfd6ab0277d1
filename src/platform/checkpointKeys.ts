// The secret that signs a checkpoint's lines, one per benchmark, so that a resume can tell the
// lines its harness wrote from lines a generated program appended. It is kept where a program is
// least likely to look and cannot be given by accident: not in any environment (programs get an
// environment of their own anyway), not beside the checkpoint or anywhere under the output
// directory, but in the user's state directory, readable by the user alone. A program running as
// the same user without a sandbox can still read it if it goes looking (README: "What a signed
// checkpoint protects").
import { createHmac, randomBytes } from "node:crypto"
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"

/** $XDG_STATE_HOME/ilo-bench/checkpoint-keys, else ~/.local/state/ilo-bench/checkpoint-keys. */
export const keysDirectory = () =>
  join(process.env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "ilo-bench", "checkpoint-keys")

const keyFile = (id: string) => join(keysDirectory(), `${id}.key`)

export interface SigningKey {
  /** Named in the checkpoint's header: which key file verifies it. */
  readonly id: string
  readonly key: Buffer
}

/** A new key, written (mode 600, its directory 700) before the first line it signs. */
export const newSigningKey = (): SigningKey => {
  const id = randomBytes(16).toString("hex")
  const key = randomBytes(32)
  const dir = keysDirectory()
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  writeFileSync(keyFile(id), key.toString("hex") + "\n", { mode: 0o600, flag: "wx" })
  return { id, key }
}

/** The key a header names, if this machine has it; an id that is no key's name has none. */
export const loadSigningKey = (id: string): SigningKey | undefined => {
  if (!/^[0-9a-f]{32}$/.test(id)) return undefined
  try {
    const hex = readFileSync(keyFile(id), "utf8").trim()
    return /^[0-9a-f]{64}$/.test(hex) ? { id, key: Buffer.from(hex, "hex") } : undefined
  } catch {
    return undefined
  }
}

/** Where a header's key would be, for a message. */
export const signingKeyPath = keyFile

/**
 * A line's signature: over the line and the signature of the line before it (the header's chain
 * starts from the key's id), so that a line copied, moved or taken out breaks the lines after it.
 */
export const signature = (key: Buffer, previous: string, line: string) =>
  createHmac("sha256", key).update(previous).update("\n").update(line).digest("hex")
