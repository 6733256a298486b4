/**
 * Checks of a command's outputs before any work: a file to write must not be a folder, one of the
 * command's inputs (or a file inside an input folder), or in a folder that cannot be written; a folder
 * to fill must not hold an earlier MIMIC-shaped dataset unless `--force` says to replace it.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../util/errors";

/** An input of a command: the flag that named it and its path (a file or a folder). */
export interface CommandInput {
  flag: string;
  path: string;
}

/** The real path of `p`, resolving the links of the part that exists (the rest may not exist yet). */
function realPath(p: string): string {
  const abs = path.resolve(p);
  if (fs.existsSync(abs)) return fs.realpathSync(abs);
  const parent = path.dirname(abs);
  return parent === abs ? abs : path.join(realPath(parent), path.basename(abs));
}

const inside = (file: string, dir: string) => {
  const rel = path.relative(dir, file);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};

/**
 * Refuses `file` (given by `flag`) as an output when it is a folder, is one of `inputs` or an
 * existing file inside an input folder, or its folder cannot be created or written.
 */
export function checkOutputFile(file: string, flag: string, inputs: readonly CommandInput[]): void {
  const real = realPath(file);
  if (fs.existsSync(real) && fs.statSync(real).isDirectory())
    throw new InputError({ field: flag, expected: "a file to write", found: `the folder ${file}` });
  for (const input of inputs) {
    const from = realPath(input.path);
    const isFolder = fs.existsSync(from) && fs.statSync(from).isDirectory();
    if (real === from || (isFolder && fs.existsSync(real) && inside(real, from))) {
      throw new InputError({
        field: flag,
        expected: "a file that is not one of the command's inputs",
        found: isFolder ? `${file}, a file of ${input.flag}` : `${file}, the file given to ${input.flag}`,
        hint: "Write the output somewhere else.",
      });
    }
  }
  writableFolder(path.dirname(real), flag);
}

/** Creates `dir` when missing and checks that files can be written into it. */
function writableFolder(dir: string, flag: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    throw notWritable(dir, flag, e);
  }
}

/** The InputError for a folder `flag` names that this user cannot create or write into. */
function notWritable(dir: string, flag: string, e: unknown): InputError {
  return new InputError({
    field: flag,
    expected: "a place this user can write to",
    found: `${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
  });
}

/**
 * Refuses `dir` (given by `flag`) as a folder to write into when it, or the nearest part of its path
 * that exists, is a file or cannot be written; creates nothing (a refused command leaves no trace).
 */
export function checkWritableFolder(dir: string, flag: string): void {
  let p = path.resolve(dir);
  while (!fs.existsSync(p) && path.dirname(p) !== p) p = path.dirname(p);
  if (!fs.statSync(p).isDirectory())
    throw new InputError({
      field: flag,
      expected: "a folder (or a path where one can be made)",
      found: p === path.resolve(dir) ? `the file ${dir}` : `${dir}, below the file ${p}`,
    });
  try {
    fs.accessSync(p, fs.constants.W_OK);
  } catch (e) {
    throw notWritable(p, flag, e);
  }
}

/**
 * Refuses to write a dataset into `dir` (given by `flag`) when it already holds one of the MIMIC
 * folders (`markers`, relative to `dir`), unless `force`.
 */
export function checkDatasetFolder(dir: string, flag: string, markers: readonly string[], force: boolean): void {
  const real = realPath(dir);
  if (fs.existsSync(real) && !fs.statSync(real).isDirectory())
    throw new InputError({ field: flag, expected: "a folder", found: `the file ${dir}` });
  const found = markers.filter((m) => fs.existsSync(path.join(real, m)));
  if (found.length > 0 && !force) {
    throw new InputError({
      field: flag,
      expected: "a folder without a MIMIC-shaped dataset",
      found: `${found.join(" and ")} already in ${dir}`,
      hint: "Give --force to replace its tables, or choose another folder.",
    });
  }
  writableFolder(real, flag);
}
