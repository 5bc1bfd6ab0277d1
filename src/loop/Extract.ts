/**
 * One program out of a model's reply. The system prompts ask for the program alone, without
 * fences; chatty models (small local ones above all) answer with prose around one or more fenced
 * blocks, or a block cut off at max_tokens. Only one program is run:
 *
 * 1. the first complete fenced block tagged with the leg's language (```python, ```py, ...);
 * 2. else the first complete fenced block;
 * 3. else the whole reply, as it came.
 *
 * A reply that is exactly one fenced block (blank lines around it aside) gives the same program as
 * before this rule, so results compare with earlier ones.
 */

/** How the program was taken out of the reply. */
export type ProgramSource = "whole" | "tagged-block" | "first-block"

export interface ExtractedProgram {
  readonly program: string
  readonly source: ProgramSource
  /** Complete fenced blocks in the reply. */
  readonly blocks: number
  /** Whatever of the reply was not run (prose, fence lines, other blocks), trimmed; "" when nothing was. */
  readonly dropped: string
}

interface Block {
  readonly tag: string
  readonly body: string
  /** Where the opening fence line starts and the closing one ends, in the reply. */
  readonly start: number
  readonly end: number
}

// An opening fence: three or more backticks or tildes at the start of a line (indented at most
// three spaces, as CommonMark allows), then an info string whose first word is the tag.
const OPENING = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*$/

/** The complete fenced blocks of `text`, in order; a fence never closed is not one. */
const fencedBlocks = (text: string): ReadonlyArray<Block> => {
  const blocks: Array<Block> = []
  const lines = text.split("\n")
  let offset = 0
  const starts = lines.map((line) => {
    const at = offset
    offset += line.length + 1
    return at
  })
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING.exec(lines[i]!.replace(/\r$/, ""))
    if (open === null) continue
    const fence = open[1]!
    const closing = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`)
    let j = i + 1
    while (j < lines.length && !closing.test(lines[j]!.replace(/\r$/, ""))) j++
    if (j >= lines.length) break
    blocks.push({
      tag: open[2]!.toLowerCase(),
      body: lines.slice(i + 1, j).join("\n"),
      start: starts[i]!,
      end: starts[j]! + lines[j]!.length
    })
    i = j
  }
  return blocks
}

/** The tags a model may give the leg's language: its name, its file extension, common names. */
export const languageTags = (name: string, extension: string): ReadonlySet<string> => {
  const tags = new Set([name.toLowerCase(), extension.replace(/^\./, "").toLowerCase()])
  const more: Record<string, ReadonlyArray<string>> = {
    python: ["py", "python3"],
    python3: ["py", "python"],
    javascript: ["js", "node", "nodejs", "mjs"],
    node: ["js", "javascript"],
    typescript: ["ts"],
    bash: ["sh", "shell"],
    sh: ["bash", "shell"],
    ruby: ["rb"],
    rust: ["rs"],
    go: ["golang"]
  }
  for (const tag of more[name.toLowerCase()] ?? []) tags.add(tag)
  tags.delete("")
  return tags
}

/** The program to run from `reply`, for a leg whose language answers to `tags`. */
export const extractProgram = (reply: string, tags: ReadonlySet<string>): ExtractedProgram => {
  const blocks = fencedBlocks(reply)
  const tagged = blocks.find((b) => tags.has(b.tag))
  const chosen = tagged ?? blocks[0]
  if (chosen === undefined) return { program: reply, source: "whole", blocks: 0, dropped: "" }
  const dropped = `${reply.slice(0, chosen.start).trim()}\n${reply.slice(chosen.end).trim()}`.trim()
  return { program: chosen.body, source: tagged !== undefined ? "tagged-block" : "first-block", blocks: blocks.length, dropped }
}
