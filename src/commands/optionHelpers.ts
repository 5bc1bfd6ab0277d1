import { Options } from "@effect/cli"

/** A default that `--help` also shows (@effect/cli applies defaults silently). */
export const defaulting =
  <const A>(value: A) =>
  <B>(self: Options.Options<B>): Options.Options<A | B> =>
    self.pipe(Options.withDefault(value), Options.withDescription(`Default: ${String(value)}.`))

/** A text flag that may be left out. */
export const optionalText = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)

/** Each choice flag's name by its choices ("warm, cold" -> "--cache"): @effect/cli's refusal names neither. */
export const choiceFlags = new Map<string, string>()

/** A flag that takes one of `cases`, registered so that a refused value can be reported against its flag. */
export const choice = <const A extends string>(name: string, cases: ReadonlyArray<A>) => {
  choiceFlags.set(cases.join(", "), `--${name}`)
  return Options.choice(name, cases)
}
