import * as fs from "fs";
import * as path from "path";
import { writeJsonAtomic } from "../util/atomicWrite";
import { describeValue, InputError } from "../util/errors";
import { type FolderLock, lockFolder, removeOrphanedTemporariesUnder } from "./folderLock";

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
  private held: FolderLock | undefined;

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

  /** A JSON file of the run, or undefined when there is none; a torn file is an InputError naming it. */
  readJson<T>(name: string): T | undefined {
    const p = path.join(this.dir, name);
    if (!fs.existsSync(p)) return undefined;
    try {
      return JSON.parse(fs.readFileSync(p, "utf8")) as T;
    } catch (e) {
      throw new InputError({
        file: p,
        expected: "a complete JSON file",
        found: (e as Error).message,
        hint: `It was cut short or edited by hand. Delete it to let its stage run again${name === "config.json" ? " (or give the study another --name)" : ""}.`,
      });
    }
  }

  /**
   * Takes the run folder's lock (one writer at a time; see folderLock.ts), mends a torn last metrics
   * line and removes the temporary files of a killed run (no live process can own them now).
   */
  lock(): void {
    this.held = lockFolder(this.dir, "Wait for that run to finish, or give this one another --name.");
    this.mendMetrics();
    removeOrphanedTemporariesUnder(this.dir);
  }

  /** Releases the run folder's lock. */
  unlock(): void {
    this.held?.release();
    this.held = undefined;
  }

  /** Appends one metrics record to metrics.jsonl. */
  appendMetric(record: Record<string, unknown>): void {
    fs.appendFileSync(this.file("metrics.jsonl"), JSON.stringify(record) + "\n");
  }

  /**
   * The metrics records written so far. A last line without its newline was cut short by a crash while
   * appending, and is left out; any other bad line is an InputError naming it.
   */
  metrics(): Record<string, unknown>[] {
    const p = path.join(this.dir, "metrics.jsonl");
    if (!fs.existsSync(p)) return [];
    const lines = completeLines(fs.readFileSync(p, "utf8"));
    return lines.map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch (e) {
        throw new InputError({ file: p, row: i + 1, expected: "a JSON record", found: (e as Error).message });
      }
    });
  }

  /** Cuts a torn last line off metrics.jsonl, so that the next record starts on a line of its own. */
  private mendMetrics(): void {
    const p = path.join(this.dir, "metrics.jsonl");
    if (!fs.existsSync(p)) return;
    const text = fs.readFileSync(p, "utf8");
    if (text === "" || text.endsWith("\n")) return;
    fs.truncateSync(p, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
  }
}

/** The lines of `text` that end in a newline (non-empty). */
function completeLines(text: string): string[] {
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter(Boolean);
}
