import * as fs from "fs";
import * as path from "path";
import { writeJsonAtomic } from "../util/atomicWrite";
import { describeValue, InputError } from "../util/errors";

/**
 * Whether `name` names one folder on any system: letters, digits, '.', '_' and '-', and not "." or ".."
 * (which would put the run into the runs folder itself or above it).
 */
export function isRunName(name: unknown): name is string {
  return typeof name === "string" && /^[A-Za-z0-9._-]+$/.test(name) && !/^\.+$/.test(name);
}

/** What `isRunName` accepts, in words. */
export const RUN_NAME_RULE = "a run name of letters, digits, '.', '_' and '-' (not '.' or '..')";

/**
 * A run folder `runs/<name>/`: the resolved config, metrics as JSON lines, checkpoints, figures and
 * the report of one experiment. Everything a run writes goes through here, so its layout is
 * defined once.
 */
export class RunFolder {
  readonly dir: string;

  constructor(
    root: string,
    readonly name: string,
  ) {
    if (!isRunName(name)) {
      throw new InputError({
        field: "name",
        expected: RUN_NAME_RULE,
        found: describeValue(name),
      });
    }
    this.dir = path.resolve(root, name);
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** A path inside the run folder (its parent folders are created). */
  file(...parts: string[]): string {
    const p = path.join(this.dir, ...parts);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    return p;
  }

  /** A sub-folder of the run (created). */
  folder(name: string): string {
    const p = path.join(this.dir, name);
    fs.mkdirSync(p, { recursive: true });
    return p;
  }

  /** Writes JSON atomically (a crash never leaves half a file). */
  writeJson(name: string, value: unknown): string {
    const p = this.file(name);
    writeJsonAtomic(p, value);
    return p;
  }

  readJson<T>(name: string): T | undefined {
    const p = path.join(this.dir, name);
    return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, "utf8")) as T) : undefined;
  }

  /** Appends one metrics record to metrics.jsonl. */
  appendMetric(record: Record<string, unknown>): void {
    fs.appendFileSync(this.file("metrics.jsonl"), JSON.stringify(record) + "\n");
  }

  /** The metrics records written so far. */
  metrics(): Record<string, unknown>[] {
    const p = path.join(this.dir, "metrics.jsonl");
    if (!fs.existsSync(p)) return [];
    return fs
      .readFileSync(p, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  }
}
