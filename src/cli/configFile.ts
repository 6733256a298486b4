import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { Command, Option } from "commander";
import { didYouMean } from "../util/closest";
import { describeValue, InputError } from "../util/errors";

/** Reads a JSON (.json) or YAML (.yaml, .yml) config file into a plain object. */
export function readConfigFile(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) {
    throw new InputError({
      file,
      expected: "a config file",
      found: "no such file",
      hint: "Check the path given to --config.",
    });
  }
  if (fs.statSync(file).isDirectory())
    throw new InputError({
      file,
      expected: "a config file",
      found: "a folder",
      hint: "Give --config a .yaml, .yml or .json file.",
    });
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError({
      file,
      expected: "a readable config file",
      found: (e as NodeJS.ErrnoException).code ?? String(e),
    });
  }
  const ext = path.extname(file).toLowerCase();
  let value: unknown;
  if (ext === ".json") {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new InputError({ file, expected: "valid JSON", found: String((e as Error).message) });
    }
  } else if (ext === ".yaml" || ext === ".yml") {
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      throw new InputError({
        file,
        row: err.linePos?.[0].line,
        expected: "valid YAML",
        found: err.message.split("\n")[0],
      });
    }
    value = doc.toJS();
  } else {
    throw new InputError({ file, expected: "a .json, .yaml or .yml file", found: `a ${ext || "extension-less"} file` });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError({
      file,
      expected: "a mapping of option names to values at the top level",
      found: Array.isArray(value) ? "a list" : String(value),
    });
  }
  return value as Record<string, unknown>;
}

/**
 * Adds `--config <file>` to a command whose options are flags: the file's keys are the flags' names
 * in camelCase (`imageLongSide` for `--image-long-side`), its values go through the same parsing and
 * checks as the flags', and a flag given on the command line wins over the file. Unknown keys are
 * refused with the closest flag name, so that a typo never falls back silently to a default.
 */
export function withConfigFile(cmd: Command): Command {
  cmd.option("--config <file>", "read options from a JSON or YAML file (flags on the command line win)");
  cmd.hook("preAction", (self) => {
    const file = self.opts().config as string | undefined;
    if (!file) return;
    const values = readConfigFile(file);
    const options = new Map(self.options.map((o) => [o.attributeName(), o]));
    options.delete("config");
    for (const [key, value] of Object.entries(values)) {
      const option = options.get(key);
      if (!option) {
        throw new InputError({
          file,
          field: key,
          expected: `one of the options ${[...options.keys()].join(", ")}`,
          found: `the unknown option "${key}"`,
          hint: didYouMean(key, [...options.keys()]),
        });
      }
      if (self.getOptionValueSource(key) === "cli") continue;
      self.setOptionValueWithSource(key, configValue(file, key, option, value), "config");
    }
  });
  return cmd;
}

function configValue(file: string, key: string, option: Option, value: unknown): unknown {
  if (option.isBoolean() || option.negate) {
    if (typeof value !== "boolean")
      throw new InputError({ file, field: key, expected: "true or false", found: describeValue(value) });
    return value;
  }
  if (value === null || typeof value === "object")
    throw new InputError({ file, field: key, expected: "a single value", found: describeValue(value) });
  const text = String(value);
  if (option.argChoices && !option.argChoices.includes(text)) {
    throw new InputError({
      file,
      field: key,
      expected: `one of ${option.argChoices.join(", ")}`,
      found: JSON.stringify(text),
      hint: didYouMean(text, option.argChoices),
    });
  }
  // The flags' parsers throw InputError for a bad value.
  try {
    return option.parseArg ? option.parseArg(text, undefined) : text;
  } catch (e) {
    if (e instanceof InputError) throw new InputError({ ...e.details, file, field: key });
    throw e;
  }
}
