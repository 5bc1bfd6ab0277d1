import { createHash } from "node:crypto"

/**
 * The lines of a file written by appending whole lines (a checkpoint, a cassette). A line counts
 * only once its newline is written: whatever follows the last newline is what a crash left, the
 * torn line, and an append must first cut the file back to `validBytes`.
 */
export const wholeLines = (text: string) => {
  const end = text.lastIndexOf("\n")
  const lines = end === -1 ? [] : text.slice(0, end).split("\n")
  return {
    lines,
    /** The torn line's number (1-based), or null when the text ends with a newline. */
    tornLine: text.length > end + 1 ? lines.length + 1 : null,
    validBytes: Buffer.byteLength(text.slice(0, end + 1), "utf8")
  }
}

/** Line ends as the seed read text (Python's text mode): "\r\n" and a lone "\r" become "\n". */
export const universalNewlines = (text: string) => text.replace(/\r\n?/g, "\n")

export const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")
