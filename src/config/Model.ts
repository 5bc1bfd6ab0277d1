/** A model as the user named it (`key`, e.g. "haiku") and as the provider knows it (`id`). */
export interface Model {
  readonly key: string
  readonly id: string
}

/** The seed's aliases. Any other --model value is taken as a model id. */
export const MODEL_ALIASES: Readonly<Record<string, string>> = {
  haiku: "claude-haiku-4-5",
  sonnet: "claude-sonnet-4-5"
}

/** `both` is the seed's pair; `aliases` adds more names (the model catalog's). */
export const resolveModels = (flag: string, aliases: Readonly<Record<string, string>> = {}): ReadonlyArray<Model> =>
  flag === "both"
    ? Object.entries(MODEL_ALIASES).map(([key, id]) => ({ key, id }))
    : [{ key: flag, id: MODEL_ALIASES[flag] ?? aliases[flag] ?? flag }]
