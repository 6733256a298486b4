/**
 * From a labelled dataset (the MIMIC cohort, CheXpert, NIH-14) and an image cache to what evaluation
 * trains on: for one split, the cache index of every row and the rows' labels, in the same order.
 * Rows whose image is not in the cache (skipped at build time) are left out and counted.
 */
import type { LabelledDataset, SplitSelector } from "../cohort/types";
import type { ImageCache } from "../images/types";
import { InputError, describeValue } from "../util/errors";
import type { NamedMatrix } from "../util/matrix";
import { findInCache } from "../images/cache";
import { takeRows } from "../util/rows";

/** One split's rows that have an image in the cache. */
export interface SplitRows {
  split: string;
  /** Cache index of each kept row. */
  indices: Int32Array;
  /** Position of each kept row in the split (the row of `dataset.split(name)`). */
  positions: Int32Array;
  /** Labels of the kept rows, row-major. */
  labels: NamedMatrix;
  /** Rows of the split in the dataset. */
  rows: number;
  /** Rows left out because their image is not in the cache. */
  missing: number;
}

/**
 * The column that identifies a row's image in the cache: `dicom_id` when the table has it (MIMIC,
 * as the image cache is built from the cohort), else `path` (CheXpert, NIH-14).
 */
export function idColumnOf(dataset: LabelledDataset, idColumn?: string): string {
  const names = dataset.table.columnNames();
  const col = idColumn ?? (names.includes("dicom_id") ? "dicom_id" : "path");
  if (!names.includes(col))
    throw new InputError({
      field: "idColumn",
      expected: `a column of the dataset (${names.join(", ")})`,
      found: describeValue(col),
    });
  return col;
}

/** Rows of `split` matched to `cache` by `idColumn` (see `idColumnOf`); an empty result is an InputError. */
export function splitRows(
  dataset: LabelledDataset,
  split: SplitSelector,
  cache: ImageCache,
  idColumn?: string,
  quiet = false,
): SplitRows {
  const col = idColumnOf(dataset, idColumn);
  const ids = dataset.split(split).array(col) as ArrayLike<unknown>;
  const labels = dataset.labels(split);
  const k = labels.names.length;
  if (labels.values.length !== ids.length * k) {
    throw new InputError({
      field: `labels("${split}")`,
      expected: `${ids.length} rows of ${k} labels (one per row of the split)`,
      found: `${labels.values.length / k} rows`,
    });
  }
  const { positions, indices } = findInCache(cache, ids);
  const missing = ids.length - positions.length;
  if (positions.length === 0) {
    throw new InputError({
      field: `split "${split}"`,
      expected: "at least one row with an image in the cache",
      found:
        ids.length === 0
          ? "an empty split"
          : `none of its ${ids.length} images in the cache at ${cache.dir} (matched by ${col})`,
    });
  }
  if (missing > 0 && !quiet)
    console.warn(
      `ehr-msn: ${missing} of ${ids.length} ${split} rows left out: their image is not in the cache (see the cache report)`,
    );
  return {
    split,
    indices,
    positions,
    labels: { rows: positions.length, cols: k, names: labels.names, values: takeRows(labels.values, k, positions) },
    rows: ids.length,
    missing,
  };
}
