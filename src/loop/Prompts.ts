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
      return Effect.flatMap(SkillDocs, (skills) =>
        Effect.forEach(docs.modules, skills.get).pipe(Effect.map((mods) => mods.map((m) => m.text).join("\n\n")))
      )
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
 * The seed's layout: the system prompt alone, one user turn holding the task and then the docs;
 * a repair replaces that turn with a fresh prompt that carries the error.
 */
export const seedLayout = {
  initial: (language: Language, task: Task, context: string): Conversation => ({
    system: [{ text: systemPrompt(language) }],
    messages: [{ role: "user", content: initialPrompt(task, context) }]
  }),
  repair: (language: Language, task: Task, context: string, error: string): Conversation => ({
    system: [{ text: systemPrompt(language) }],
    messages: [{ role: "user", content: repairPrompt(task, context, error, language.name) }]
  })
}
