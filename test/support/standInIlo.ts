import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface StandInIlo {
  readonly bin: string
  readonly dir: string
  /** Every invocation's arguments, one line each. */
  readonly log: string
}

/**
 * A stand-in for ilo's CLI surface: `--version`, `skill get MODULE` (like ilo 0.11.6, unknown unless
 * `skills` is given), and `FILE main`, which runs the program's non-comment lines with bash and,
 * like ilo, reports a failure on stderr with exit code 1. It logs every call to a file beside it
 * (the harness hands programs no environment to pass a log path through).
 */
export const makeStandInIlo = (options: { readonly skills?: Record<string, string>; readonly versionExit?: number } = {}): StandInIlo => {
  const dir = mkdtempSync(join(tmpdir(), "standin-ilo-"))
  const bin = join(dir, "ilo")
  const log = join(dir, "calls.log")
  const skills = options.skills ?? {}
  const skillCases = Object.entries(skills)
    .map(([name, text]) => {
      const file = join(dir, `${name}.skill`)
      writeFileSync(file, text)
      return `      ${name}) cat '${file}'; exit 0 ;;`
    })
    .join("\n")
  writeFileSync(
    bin,
    `#!/usr/bin/env bash
{ echo "$*" >> '${log}'; } 2>/dev/null
if [ "$1" = "--version" ]; then echo "ilo 0.11.6"; exit ${options.versionExit ?? 0}; fi
if [ "$1" = "skill" ] && [ "$2" = "get" ]; then
  case "$3" in
${skillCases}
  esac
  echo "error: unknown command 'skill'" >&2; exit 1
fi
if [ "$2" = "main" ] && [ -f "$1" ]; then
  grep -v '^--' "$1" > "$1.sh"
  bash "$1.sh"
  code=$?
  if [ $code -ne 0 ]; then echo '{"error":"runtime","code":'$code'}' >&2; exit 1; fi
  exit 0
fi
echo "usage: ilo FILE FUNC" >&2; exit 2
`
  )
  chmodSync(bin, 0o755)
  return { bin, dir, log }
}
