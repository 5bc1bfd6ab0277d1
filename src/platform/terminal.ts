// Every line ilo-bench prints passes here: much of it quotes text from outside (an API's error
// message, a tasks file, a program's output in a warning), and a terminal acts on escape sequences
// in it (an OSC 52 sets the clipboard, a CSI clears the screen). Guarding the two streams once is
// the one place no printing path can miss.
import { withoutControls } from "../report/format.js"

/** The live progress line's own sequence: back to the start of the line and clear it. Kept. */
export const CLEAR_LINE = "\r\x1b[2K"

/** Text as it may reach the terminal: ilo-bench's own CLEAR_LINE kept, every other control taken out. */
export const terminalText = (text: string) => text.split(CLEAR_LINE).map(withoutControls).join(CLEAR_LINE)

/** Makes `stream.write` take control characters out of whatever it is given. */
export const guardStream = (stream: NodeJS.WriteStream) => {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: Array<unknown>) => boolean
  stream.write = ((chunk: unknown, ...rest: Array<unknown>) =>
    write(
      typeof chunk === "string" ? terminalText(chunk) : chunk instanceof Uint8Array ? terminalText(Buffer.from(chunk).toString("utf8")) : chunk,
      // A string's encoding argument no longer applies to the text it became.
      ...(typeof chunk !== "string" && typeof rest[0] === "string" ? rest.slice(1) : rest)
    )) as typeof stream.write
}
