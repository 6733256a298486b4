/**
 * The split step of `cohort.build`: each image's split from the split file (images it does not list
 * are left out and counted), or a patient-level random split (patientSplit.ts).
 */
import { InputError } from "../util/errors";
import type { RandomSplit } from "./types";
import { SPLIT_NAMES } from "./types";
import { CsvColumns, readCsv } from "./csv";
import type { Reporter } from "./buildReport";
import type { MimicTables } from "./readTables";
import { recode, stringIndex } from "./tableChecks";
import { patientSplit } from "./patientSplit";

/**
 * Step "split" (or "split (random, by patient)"): the rows kept and each metadata row's split code,
 * the index in SPLIT_NAMES (-1 for rows left out).
 */
export async function assignSplit(
  t: Pick<MimicTables, "meta" | "splitFile">,
  rows: Int32Array,
  random: RandomSplit | undefined,
  seed: number,
  rep: Reporter,
): Promise<{ rows: Int32Array; split: Int8Array }> {
  const split = new Int8Array(t.meta.rows).fill(-1);
  if (t.splitFile) {
    const of = await splitCodes(t.splitFile, t.meta);
    const kept = rep.filter("split", rows, (i) => {
      split[i] = of(i);
      return split[i] >= 0 ? undefined : "image not in the split file";
    });
    return { rows: kept, split };
  }
  patientSplit(rows, t.meta.numbers.subject_id, split, random!, seed);
  rep.note("split (random, by patient)", "images", rows.length, rows.length);
  return { rows, split };
}

/**
 * The split code of metadata row i (-1 when the file does not list its dicom_id); the split file's
 * values must be train, validate or test and its dicom_ids unique. MIMIC's split file lists the
 * images in the metadata's order, which the dicom_id hashes show without making strings; only a file
 * in another order is read again with its dicom_ids and indexed.
 */
async function splitCodes(t: CsvColumns, meta: CsvColumns): Promise<(i: number) => number> {
  const code = recode(t, "split", SPLIT_NAMES, SPLIT_NAMES.join(", "));
  code.forEach((c, r) => {
    if (c < 0)
      throw new InputError({
        file: t.file,
        row: r + 1,
        column: "split",
        expected: SPLIT_NAMES.join(", "),
        found: "an empty string",
      });
  });
  const ours = t.hashes.dicom_id;
  const theirs = meta.hashes.dicom_id;
  let aligned = ours.length === theirs.length;
  for (let i = 0; aligned && i < ours.length; i++) aligned = ours[i] === theirs[i];
  // Aligned with the metadata (whose dicom_ids are unique): nothing more to check or index.
  if (aligned) return (i) => code[i];
  const ids = (await readCsv(t.file, [{ name: "dicom_id", kind: "string" }])).strings.dicom_id;
  const index = stringIndex(t.file, "dicom_id", ids);
  const metaIds = meta.strings.dicom_id;
  return (i) => {
    const r = index.get(metaIds[i]);
    return r === undefined ? -1 : code[r];
  };
}
