import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http"
import { Agent as HttpsAgent, request as httpsRequest } from "node:https"

const abortError = (signal: AbortSignal) => {
  const reason: unknown = signal.reason
  if (reason instanceof Error && reason.name === "AbortError") return reason
  const error = new Error("This operation was aborted")
  error.name = "AbortError"
  return error
}

/**
 * The most of a response body read: a model reply of the largest max_tokens is a few megabytes of
 * JSON. A larger body is cut off there and the request fails, so that a broken or hostile server
 * cannot fill the harness's memory (a 700 MB body took 3 GB).
 */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024

/** The failure of a request whose response was larger than MAX_RESPONSE_BYTES (the SDKs pass it on as the cause). */
export class ResponseTooLarge extends Error {
  override readonly name = "ResponseTooLarge"
  constructor(readonly limit: number) {
    super(`the API's response is larger than ${limit / (1024 * 1024)} MiB; it was not read`)
  }
}

const responseHeaders = (res: IncomingMessage) => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  return headers
}

/**
 * A whole response already read, with what the provider SDKs read of one: status, headers, the
 * body as text or JSON. A WHATWG Response would wrap the bytes in a web stream only to read them
 * back, a fifth of the CPU of a model call on this path. No body stream: the SDKs ask for one only
 * when streaming, which the providers here never do.
 */
const bufferedResponse = (url: string, status: number, res: IncomingMessage, bytes: Buffer | null): Response => {
  let used = false
  /** The body, once: a second read fails, as it does on a Response. */
  const read = <A>(as: (bytes: Buffer | null) => A): Promise<A> => {
    if (used) return Promise.reject(new TypeError("Body is unusable: Body has already been read"))
    used = true
    return Promise.resolve(as(bytes))
  }
  const text = () => read((b) => (b === null ? "" : b.toString("utf8")))
  const response = {
    status,
    ok: status >= 200 && status < 300,
    statusText: res.statusMessage ?? "",
    url,
    redirected: false,
    type: "basic",
    headers: responseHeaders(res),
    body: null,
    get bodyUsed() {
      return used
    },
    text,
    json: () => text().then((t) => JSON.parse(t) as unknown),
    arrayBuffer: () => read((b) => (b === null ? new ArrayBuffer(0) : new Uint8Array(b).buffer))
  }
  return response as unknown as Response
}

/**
 * A `fetch` for the provider SDKs on node:http with keep-alive connections. Model calls are small
 * JSON requests read whole; Node's built-in fetch costs a few milliseconds of CPU more on each,
 * which a benchmark of thousands of attempts pays on every one. Bodies are strings or bytes.
 */
export const makeNodeFetch = (maxBytes: number = MAX_RESPONSE_BYTES) => {
  const http = new HttpAgent({ keepAlive: true })
  const https = new HttpsAgent({ keepAlive: true })
  return (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const signal = init?.signal ?? undefined
      if (signal?.aborted) return reject(abortError(signal))
      const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url)
      const secure = url.protocol === "https:"
      const headers: Record<string, string> = {}
      const given = init?.headers
      ;(given instanceof Headers ? given : new Headers(given)).forEach((value, name) => {
        headers[name] = value
      })
      const body = init?.body
      if (body != null && typeof body !== "string" && !(body instanceof Uint8Array))
        return reject(new TypeError("this fetch sends only string or byte bodies"))
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: init?.method ?? "GET",
        headers,
        agent: secure ? https : http
      })
      const onAbort = () => req.destroy(abortError(signal!))
      signal?.addEventListener("abort", onAbort, { once: true })
      const done = () => signal?.removeEventListener("abort", onAbort)
      req.on("error", (error) => {
        done()
        reject(error)
      })
      req.on("response", (res) => {
        const chunks: Array<Buffer> = []
        let bytes = 0
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes <= maxBytes) return void chunks.push(chunk)
          chunks.length = 0
          done()
          req.destroy()
          reject(new ResponseTooLarge(maxBytes))
        })
        res.on("error", (error) => {
          done()
          reject(error)
        })
        res.on("end", () => {
          done()
          const status = res.statusCode ?? 0
          const empty = status === 204 || status === 304 || status < 200
          resolve(bufferedResponse(url.href, status < 200 ? 200 : status, res, empty ? null : Buffer.concat(chunks)))
        })
      })
      req.end(body ?? undefined)
    })
}
