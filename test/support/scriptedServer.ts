import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach } from "vitest"

export interface RecordedRequest {
  readonly method?: string | undefined
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: any
  /** Date.now() when the request had arrived in full. */
  readonly at: number
}

export interface FakeServer {
  readonly url: string
  readonly requests: Array<RecordedRequest>
  close(): Promise<void>
}

/** What every scripted server can do besides answering: fail with a status, or never answer. */
export type Fault =
  | {
      readonly status: number
      readonly body?: unknown
      /** Sent as it is, not as JSON: an HTML page, a body cut short. */
      readonly raw?: string
      readonly headers?: Record<string, string>
      readonly delayMs?: number
    }
  | { readonly hang: true }

/** The wire format's part: how a successful reply and a failure's default body look. */
export interface WireFormat<R> {
  readonly requestIdHeader: string
  readonly errorBody: (status: number) => unknown
  readonly success: (reply: R, request: RecordedRequest, n: number) => unknown
  /** Appended to the server's address to make the base URL the SDK wants. */
  readonly basePath: string
  /** Endpoints of their own (a batch API): an answer, or undefined to answer with the script. */
  readonly route?: ((request: RecordedRequest) => { readonly status: number; readonly body: string; readonly contentType?: string; readonly delayMs?: number } | undefined) | undefined
}

/** A body as JSON, or as the text it is (a multipart upload). */
const jsonOrText = (raw: string): unknown => {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/**
 * A loopback server answering each request with what `script` returns for it (the request and its
 * 0-based number), in the given wire format. Every request is recorded.
 */
export const startScriptedServer = async <R extends { readonly delayMs?: number | undefined }>(
  format: WireFormat<R>,
  script: (request: RecordedRequest, n: number) => R | Fault
): Promise<FakeServer> => {
  const requests: Array<RecordedRequest> = []
  const open = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    let raw = ""
    req.on("data", (chunk) => (raw += chunk))
    req.on("end", () => {
      const recorded: RecordedRequest = { method: req.method, path: req.url ?? "", headers: req.headers, body: raw ? jsonOrText(raw) : null, at: Date.now() }
      const n = requests.length
      requests.push(recorded)
      const routed = format.route?.(recorded)
      if (routed !== undefined) {
        const answer = () => {
          res.writeHead(routed.status, { "content-type": routed.contentType ?? "application/json", [format.requestIdHeader]: `req_${n}` })
          res.end(routed.body)
        }
        if (routed.delayMs) {
          open.add(res)
          res.on("close", () => open.delete(res))
          setTimeout(answer, routed.delayMs)
        } else answer()
        return
      }
      const reply = script(recorded, n)
      open.add(res)
      res.on("close", () => open.delete(res))
      if ("hang" in reply) return
      const send = () => {
        const id = { [format.requestIdHeader]: `req_${n}` }
        if ("status" in reply) {
          res.writeHead(reply.status, { "content-type": "application/json", ...id, ...reply.headers })
          res.end(reply.raw ?? JSON.stringify(reply.body ?? format.errorBody(reply.status)))
          return
        }
        res.writeHead(200, { "content-type": "application/json", ...id })
        res.end(JSON.stringify(format.success(reply, recorded, n)))
      }
      if (reply.delayMs) setTimeout(send, reply.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${format.basePath}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy()
        server.close(() => resolve())
      })
  }
}

/** The servers a test file starts: push each one, and it is closed after the test that started it. */
export const closedAfterEach = (): Array<FakeServer> => {
  const servers: Array<FakeServer> = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })
  return servers
}
