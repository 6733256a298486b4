/**
 * Checks of the MIMIC tables as read: values present, keys unique, category values recoded. Each
 * failure is an InputError naming the file, row and column.
 */
import * as fs from "fs";
import { InputError, describeValue } from "../util/errors";
import type { CsvColumns } from "./csv";
import { IdIndex } from "./idIndex";

export function requireValue(t: CsvColumns, row: number, column: string, ok: boolean, found: unknown): void {
  if (!ok)
    throw new InputError({
      file: t.file,
      row: row + 1,
      column,
      expected: "a value (an id or number)",
      found: describeValue(found),
    });
}

/** The InputError for a key that repeats: 0-based `row` holds the same value as row `first`. */
function repeatedKey(file: string, column: string, row: number, first: number): InputError {
  return new InputError({
    file,
    row: row + 1,
    column,
    expected: `a ${column} not seen before`,
    found: `the ${column} of row ${first + 1}`,
  });
}

/** key -> row of a numeric key column; a duplicate key is an InputError. */
export function keyIndex(t: CsvColumns, column: string): IdIndex {
  const col = t.numbers[column];
  const index = new IdIndex(col.length);
  for (let r = 0; r < col.length; r++) {
    requireValue(t, r, column, Number.isInteger(col[r]), col[r]);
    const prev = index.add(col[r], r);
    if (prev >= 0) throw repeatedKey(t.file, column, r, prev);
  }
  return index;
}

/** value -> row of a text key column; a repeated value is an InputError at its second row. */
export function stringIndex(file: string, column: string, values: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  values.forEach((v, r) => {
    const prev = index.get(v);
    if (prev !== undefined) throw repeatedKey(file, column, r, prev);
    index.set(v, r);
  });
  return index;
}

/**
 * An InputError at the first repeated value of a `string` column. Hashes first, strings only when
 * two hashes agree.
 */
export function checkUnique(t: CsvColumns, column: string): void {
  const hashes = t.hashes[column];
  const seen = new IdIndex(hashes.length);
  for (let r = 0; r < hashes.length; r++) {
    if (seen.add(hashes[r], r) >= 0) {
      stringIndex(t.file, column, t.strings[column]);
      return;
    }
  }
}

/**
 * Each row's index of a category column's value in `vocabulary`: -1 for blank, -2 for another value,
 * or, when `expected` is given, an InputError at the first row with another value.
 */
export function recode(t: CsvColumns, column: string, vocabulary: readonly string[], expected?: string): Int8Array {
  const { codes, values } = t.categories[column];
  const map = Int8Array.from(values, (v, c) => {
    const k = vocabulary.indexOf(v);
    if (k >= 0) return k;
    if (v === "") return -1;
    if (expected)
      throw new InputError({ file: t.file, row: codes.indexOf(c) + 1, column, expected, found: describeValue(v) });
    return -2;
  });
  const out = new Int8Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = map[codes[i]];
  return out;
}

/**
 * An InputError unless `dir` is a folder this user can list: a missing folder, a file given for a
 * folder (e.g. a table instead of its MIMIC folder) and a folder without read permission each say so,
 * rather than "found nothing there" or a missing table.
 */
export function checkReadableFolder(dir: string, field?: string): void {
  try {
    fs.readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const found: Record<string, [string, string?]> = {
      ENOENT: ["nothing there"],
      ENOTDIR: ["a file, not a folder", "Give the folder that holds the MIMIC tables, not one of its files."],
      EACCES: ["a folder this user may not read (EACCES)", "Check its permissions (ls -ld), or run as its owner."],
      EPERM: ["a folder this user may not read (EPERM)", "Check its permissions (ls -ld), or run as its owner."],
    };
    const [what, hint] = found[code ?? ""] ?? [`a folder that cannot be read (${code ?? String(e)})`];
    throw new InputError({ field, file: dir, expected: "an existing folder", found: what, hint });
  }
}
