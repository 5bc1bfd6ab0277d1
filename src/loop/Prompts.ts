import { Effect } from "effect"
import { isIlo, type Language } from "../domain/Language.js"
import type { Task } from "../domain/Task.js"
import type { Message, SystemBlock } from "../services/Llm.js"
import { SkillDocs } from "../services/SkillDocs.js"

// The seed's system prompts, byte for byte (its copy lost the blank line before "Rules:" and the
// two-space indent of the wrapped line; the original had both).
export const ILO_SYSTEM = `You are an ilo programming language expert. Given a task description and the
relevant ilo skill documentation, write a complete, runnable ilo program that
solves the task.

Rules:
- The program must be syntactically valid ilo (prefix notation, typed).
- The very first line must be a comment: -- run: main
- If the task specifies expected output, add a comment: -- out: <expected>
- Keep the program under 50 lines.
- If the task requires network or environment access not available offline,
  mock it with a literal value.
- Output ONLY the ilo program, no explanation, no markdown fences.
`

export const langSystem = (languageName: string) => `You are a programming language expert. Write a complete, runnable program in
${languageName} that solves the task described below.

Rules:
- The program must be a single self-contained file.
- Keep the program under 50 lines.
- If the task requires network or environment access not available offline,
  mock it with a literal value.
- Output ONLY the program source, no explanation, no markdown fences.
`

export const systemPrompt = (language: Language) => (isIlo(language) ? ILO_SYSTEM : langSystem(language.name))

/** The documentation sent with every prompt for this language, and the skill modules it came from. */
export const languageContext = (language: Language): Effect.Effect<string, never, SkillDocs> => {
  const docs = language.docs
  switch (docs._tag) {
    case "IloSkills":
      return Effect.flatMap(SkillDocs, (skills) => skills.joined(docs.modules))
    case "File":
      return Effect.succeed(docs.text)
    case "None":
      return Effect.succeed(`(No formal language documentation available for ${language.name}.)`)
  }
}

export const initialPrompt = (task: Task, context: string) =>
  `Task: ${task.description}\n\n` +
  `Expected output: ${task.expected_output}\n\n` +
  `---LANGUAGE DOCUMENTATION---\n${context}\n---END---\n`

export const repairPrompt = (task: Task, context: string, error: string, languageName: string) =>
  `The previous ${languageName} program for this task failed.\n` +
  `Task: ${task.description}\n` +
  `Error / actual output:\n${error}\n\n` +
  `Rewrite the program to fix the error. Output ONLY the ${languageName} code.\n` +
  `---LANGUAGE DOCUMENTATION---\n${context}\n---END---\n`

/** What the model is sent for one attempt. */
export interface Conversation {
  readonly system: ReadonlyArray<SystemBlock>
  readonly messages: ReadonlyArray<Message>
}

/**
 * How a run's prompts are laid out: the first conversation of a run, and the one a repair sends
 * given the conversation before it, the program the model wrote and the error it produced.
 */
export interface PromptLayout {
  /** Recorded in the report's config as prompt_layout. */
  readonly name: "seed" | "aligned"
  readonly initial: (language: Language, task: Task, context: string) => Conversation
  readonly repair: (
    previous: Conversation,
    language: Language,
    task: Task,
    context: string,
    program: string,
    error: string
  ) => Conversation
}

/**
 * The seed's layout: the system prompt alone, one user turn holding the task and then the docs;
 * a repair replaces that turn with a fresh prompt that carries the error. No cache marks.
 */
export const seedLayout: PromptLayout = {
  name: "seed",
  initial: (language, task, context) => ({
    system: [{ text: systemPrompt(language) }],
    messages: [{ role: "user", content: initialPrompt(task, context) }]
  }),
  repair: (_previous, language, task, context, _program, error) => ({
    system: [{ text: systemPrompt(language) }],
    messages: [{ role: "user", content: repairPrompt(task, context, error, language.name) }]
  })
}

/** The documentation as its own system block, framed as the seed framed it. */
export const documentationBlock = (context: string) => `---LANGUAGE DOCUMENTATION---\n${context}\n---END---\n`

export const alignedTaskPrompt = (task: Task) =>
  `Task: ${task.description}\n\n` + `Expected output: ${task.expected_output}\n`

export const alignedRepairPrompt = (error: string, languageName: string) =>
  `The previous ${languageName} program for this task failed.\n` +
  `Error / actual output:\n${error}\n\n` +
  `Rewrite the program to fix the error. Output ONLY the ${languageName} code.\n`

/**
 * The cache-aligned layout: the system prompt and the documentation come first, as system blocks,
 * with a cache breakpoint after the documentation, so every task and attempt of one language and
 * model starts with the same bytes. The task is the user turn; a repair appends the model's program
 * (assistant) and the error (user) to the same conversation, so the documentation is sent once.
 */
export const alignedLayout: PromptLayout = {
  name: "aligned",
  initial: (language, task, context) => ({
    system: [{ text: systemPrompt(language) }, { text: documentationBlock(context), cache: true }],
    messages: [{ role: "user", content: alignedTaskPrompt(task) }]
  }),
  repair: (previous, language, _task, _context, program, error) => ({
    system: previous.system,
    messages: [
      ...previous.messages,
      // The API refuses an empty turn; the model did reply, with nothing runnable.
      { role: "assistant", content: program.trim() === "" ? "(empty reply)" : program },
      { role: "user", content: alignedRepairPrompt(error, language.name) }
    ]
  })
}

/**
 * --cache cold: a nonce at the very start of the system prompt, so no cached prefix can match and
 * the attempt is billed at the uncached price.
 */
/** A system text without the nonce withNonce put at its start: what the request is, whatever the nonce. */
export const withoutNonce = (text: string) => text.replace(/^\[cache-buster [^\]\n]*\]\n/, "[cache-buster]\n")

export const withNonce = (conversation: Conversation, nonce: string): Conversation => {
  const [first, ...rest] = conversation.system
  return {
    ...conversation,
    system: [{ ...first, text: `[cache-buster ${nonce}]\n${first?.text ?? ""}` }, ...rest]
  }
}
