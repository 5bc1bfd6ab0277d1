import { Options } from "@effect/cli"

/** A default that `--help` also shows (@effect/cli applies defaults silently). */
export const defaulting =
  <const A>(value: A) =>
  <B>(self: Options.Options<B>): Options.Options<A | B> =>
    self.pipe(Options.withDefault(value), Options.withDescription(`Default: ${String(value)}.`))

/** A text flag that may be left out. */
export const optionalText = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)
