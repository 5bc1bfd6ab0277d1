import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { transformSync } from "esbuild"
import { describe, expect, it } from "vitest"
import { recordableUrl, redact, secretValues } from "../src/platform/secrets.js"

describe("secrets", () => {
  it("takes the values of variables named like keys, tokens and passwords, long enough to be one", () => {
    const env = {
      ANTHROPIC_API_KEY: "sk-ant-0123456789",
      OPENAI_API_KEY: "sk-openai-abcdefgh",
      GITHUB_TOKEN: "ghp_0123456789",
      DB_PASSWORD: "hunter2hunter2",
      SHORT_TOKEN: "abc",
      KEYBOARD: "us-international",
      PATH: "/usr/bin:/bin"
    }
    expect([...secretValues(env)].sort()).toEqual(["ghp_0123456789", "hunter2hunter2", "sk-ant-0123456789", "sk-openai-abcdefgh"])
  })

  it("redacts every occurrence and leaves the rest of the text", () => {
    expect(redact("key=sk-1234567890 and again sk-1234567890.", ["sk-1234567890"])).toBe("key=[redacted] and again [redacted].")
    // A secret that holds another goes whole: the longer is taken out first.
    const secrets = secretValues({ A_TOKEN: "tok-12345678", B_TOKEN: "tok-12345678-and-more" })
    expect(redact("x tok-12345678-and-more y", secrets)).toBe("x [redacted] y")
    expect(redact("nothing here", ["sk-1234567890"])).toBe("nothing here")
  })

  it("redacts the forms a program can trivially print a key in: reversed, hex, base64 and base64url at any offset, wrapped or not", () => {
    const key = "sk-ant-api03-Zx9/Qw+Er_Ty-0123456789abcdef"
    const secrets = [key]
    const bytes = Buffer.from(key)
    const b64 = (prefix: string) => Buffer.concat([Buffer.from(prefix), bytes, Buffer.from("!")]).toString("base64")
    const printed = [
      [...key].reverse().join(""),
      bytes.toString("hex"),
      bytes.toString("hex").toUpperCase(),
      // As a whole, or inside a longer text that is encoded: the key's offset changes its edges.
      b64(""),
      b64("k="),
      b64("key="),
      b64("a").replace(/\+/g, "-").replace(/\//g, "_"),
      // `base64` wraps lines at 76 characters; a program may split the key itself too.
      Buffer.from(`KEY=${key}`).toString("base64").replace(/(.{7})/g, "$1\n"),
      `${key.slice(0, 10)}\n${key.slice(10)}`
    ]
    for (const text of printed) {
      expect(text).not.toContain(key)
      const out = redact(`before ${text} after`, secrets)
      expect(out, text).toContain("[redacted]")
      // Nothing of the key's encoding survives beside the mark: the prefix's and a few characters at the edges.
      const rest = out.replace("before ", "").replace(" after", "").replace("[redacted]", "")
      expect(rest.replace(/\s/g, "").length, text).toBeLessThanOrEqual(12)
    }
    // Text that is no form of the key is left alone.
    const innocent = "print(base64.b64encode(b'hello world')) 68656c6c6f SGVsbG8gd29ybGQ="
    expect(redact(innocent, secrets)).toBe(innocent)
  })

  it("records a URL without its user, password or query values", () => {
    expect(recordableUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080")
    expect(recordableUrl("https://user:pw-secret@api.example.com/v1")).toBe("https://api.example.com/v1")
    expect(recordableUrl("http://user:pw-secret@127.0.0.1:8080")).toBe("http://127.0.0.1:8080")
    expect(recordableUrl("http://user:pw-secret@127.0.0.1:8080/")).toBe("http://127.0.0.1:8080/")
    expect(recordableUrl("https://api.example.com/v1?key=abc&x=1")).toBe("https://api.example.com/v1?[redacted]")
    expect(recordableUrl("https://api.example.com/v1?sk-abc#frag")).toBe("https://api.example.com/v1?[redacted]")
    expect(recordableUrl("https://api.example.com/v1#frag")).toBe("https://api.example.com/v1")
    // Not http(s) at all, as "user:pass@host:8080" parses: nothing of it is recorded.
    expect(recordableUrl("user:pass@host:8080")).toBe("[redacted]")
  })

  it.runIf(process.platform === "linux")("on Linux, wipes the environment a child could read from /proc/<pid>/environ, and keeps process.env", () => {
    // A Node process that wipes, then shows what its child sees of it there, and its own process.env.
    const dir = mkdtempSync(join(tmpdir(), "ilo-bench-secrets-"))
    const module = join(dir, "secrets.mjs")
    writeFileSync(module, transformSync(readFileSync(new URL("../src/platform/secrets.ts", import.meta.url), "utf8"), { loader: "ts", format: "esm" }).code)
    const script = `
      import { execFileSync } from "node:child_process"
      import { wipeStartingEnvironment } from ${JSON.stringify(module)}
      const wiped = wipeStartingEnvironment()
      const seen = execFileSync("bash", ["-c", "tr '\\\\0' '\\\\n' < /proc/$PPID/environ"], { env: { PATH: process.env.PATH } }).toString()
      console.log(JSON.stringify({ wiped, seen, own: process.env.ILO_BENCH_TEST_TOKEN }))
    `
    const run = (wipe: boolean) =>
      JSON.parse(
        execFileSync(process.execPath, ["--input-type=module", "-e", wipe ? script : script.replace("wipeStartingEnvironment()", "false")], {
          env: { PATH: process.env.PATH, ILO_BENCH_TEST_TOKEN: "tok-0123456789abcdef" }
        }).toString()
      )
    // Without the wipe the child finds it: the check can fail.
    expect(run(false).seen).toContain("ILO_BENCH_TEST_TOKEN=tok-0123456789abcdef")
    const { wiped, seen, own } = run(true)
    expect(wiped).toBe(true)
    expect(seen).not.toContain("tok-0123456789abcdef")
    expect(seen).not.toContain("PATH=")
    expect(own).toBe("tok-0123456789abcdef")
    rmSync(dir, { recursive: true, force: true })
  })
})
