import { StringDecoder } from "node:string_decoder"
import type { ProcessOutcome, ProcessRequest } from "./programProcess.js"

/**
 * The program host's protocol, both ends (the harness, and src/services/programHost.ts): one JSON object a
 * line on the host's stdin and stdout.
 *   to the host:    {"id":1,"request":ProcessRequest}   {"id":1,"cancel":true}
 *   from the host:  {"id":1,"run":ProgramRun}           {"id":1,"spawnError":{"command","message"}}
 */
export type HostRequest = { readonly id: number; readonly request: ProcessRequest } | { readonly id: number; readonly cancel: true }

export const encodeRun = (id: number, request: ProcessRequest): string => `${JSON.stringify({ id, request })}\n`

export const encodeCancel = (id: number): string => `${JSON.stringify({ id, cancel: true })}\n`

export const decodeRequest = (line: string): HostRequest => JSON.parse(line) as HostRequest

export const encodeOutcome = (id: number, outcome: ProcessOutcome): string => `${JSON.stringify({ id, ...outcome })}\n`

export const decodeOutcome = (line: string): { readonly id: number; readonly outcome: ProcessOutcome } => {
  const { id, ...outcome } = JSON.parse(line) as { id: number } & ProcessOutcome
  return { id, outcome: outcome as ProcessOutcome }
}

/** Calls `handle` with each whole, non-empty line of a byte stream, in order. */
export const onLines = (stream: NodeJS.ReadableStream, handle: (line: string) => void) => {
  // Chunks are joined once a line is whole: a program's megabyte of output arrives in many.
  const decoder = new StringDecoder("utf8")
  let parts: Array<string> = []
  stream.on("data", (chunk: Buffer) => {
    const text = decoder.write(chunk)
    let from = 0
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", from)) {
      parts.push(text.slice(from, end))
      const line = parts.join("")
      parts = []
      from = end + 1
      if (line !== "") handle(line)
    }
    if (from < text.length) parts.push(text.slice(from))
  })
}
