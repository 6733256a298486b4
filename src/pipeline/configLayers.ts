/**
 * Config precedence, one function for every command: defaults < preset < config file < flags. A layer
 * sets only the values it holds (an unset flag is absent, never `undefined` over the file's value);
 * sections (`pretrain`, `probe`, `data` of one kind, ...) merge key by key, lists are replaced whole.
 * Every value remembers the layer that set it, so that an error names its source: the file and key,
 * or the flag.
 */
import { InputError } from "../util/errors";

/** Where a layer's values came from. */
export type ConfigSource =
  | { kind: "preset"; name: string }
  | { kind: "file"; file: string }
  /** `flags` maps a config path ("pretrain.batchSize") to the flag that set it ("--batch-size"). */
  | { kind: "flags"; flags: Record<string, string> };

export interface ConfigLayer {
  source: ConfigSource;
  values: Record<string, unknown>;
}

export interface LayeredConfig {
  values: Record<string, unknown>;
  /** The layer that set `field` ("pretrain.batchSize", "models[1].features"), or of its closest section. */
  sourceOf(field: string): ConfigSource | undefined;
}

/** Merges the layers, later ones winning, and keeps the source of every value. */
export function layeredConfig(layers: readonly ConfigLayer[]): LayeredConfig {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, ConfigSource>();
  for (const layer of layers) mergeInto(values, layer.values, "", layer.source, sources);
  return {
    values,
    sourceOf(field: string) {
      // "models[1].features" -> models[1].features, models[1], models
      const parts = field.replace(/\[/g, ".[").split(".");
      for (let n = parts.length; n > 0; n--) {
        const found = sources.get(parts.slice(0, n).join(".").replace(/\.\[/g, "["));
        if (found) return found;
      }
      return undefined;
    },
  };
}

const isSection = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === "object" && !Array.isArray(x);

/** `data` is either synthetic or the user's folders: one kind replaces the other whole. */
const sameKind = (key: string, a: Record<string, unknown>, b: Record<string, unknown>) =>
  key !== "data" || "synth" in a === "synth" in b;

function mergeInto(
  into: Record<string, unknown>,
  from: Record<string, unknown>,
  prefix: string,
  source: ConfigSource,
  sources: Map<string, ConfigSource>,
): void {
  for (const [key, value] of Object.entries(from)) {
    if (value === undefined) continue;
    const at = prefix + key;
    const prev = into[key];
    if (isSection(prev) && isSection(value) && sameKind(at, prev, value)) {
      mergeInto(prev, value, `${at}.`, source, sources);
    } else {
      into[key] = isSection(value) ? structuredClone(value) : value;
      for (const k of [...sources.keys()]) if (k.startsWith(`${at}.`) || k.startsWith(`${at}[`)) sources.delete(k);
      sources.set(at, source);
    }
  }
}

/**
 * Runs `check` on the merged values and puts the source of a failing value into its error: the file
 * (and its key) for a value from a config file, the flag for a value from the command line. An error
 * that already names a file (a data file found wrong) keeps it.
 */
export function blamed<T>(config: LayeredConfig, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof InputError) || e.details.field === undefined || e.details.file !== undefined) throw e;
    const field = e.details.field;
    const source = config.sourceOf(field);
    if (source?.kind === "file") throw new InputError({ ...e.details, file: source.file });
    if (source?.kind === "flags") {
      const flag = flagOf(source.flags, field);
      if (flag) throw new InputError({ ...e.details, field: `${flag} (${field})` });
    }
    throw e;
  }
}

/** The flag that set `field` or its closest section. */
function flagOf(flags: Record<string, string>, field: string): string | undefined {
  for (let f = field; f !== ""; f = f.replace(/(\.[^.[]*|\[[^\]]*\])$/, "")) {
    if (flags[f]) return flags[f];
    if (!/[.[]/.test(f)) break;
  }
  return undefined;
}
