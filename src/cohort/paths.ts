import * as fs from "fs";
import * as path from "path";
import type { ColumnType } from "arquero/dist/types/table/types";
import { jpegPath as mimicJpegPath } from "../mimic/layout";
import type { Reporter } from "./buildReport";

/** Where a JPEG is: `mimic` = files/pXX/pNNNNNNNN/sNNNNNNNN/<dicom_id>.jpg under `root`, `flat` = <dicom_id>.jpg. */
export function jpegPath(
  root: string,
  layout: "mimic" | "flat",
  subject: number,
  study: number,
  dicom: string,
): string {
  return layout === "flat" ? path.join(root, `${dicom}.jpg`) : mimicJpegPath(root, subject, study, dicom);
}

/**
 * The cohort's `path` column, an arquero column made on access: building 377k path strings up front
 * costs about 150 ms and 45 MB that most uses (a split, a batch) never read.
 */
export class PathColumn implements ColumnType<string> {
  constructor(
    private readonly root: string,
    private readonly layout: "mimic" | "flat",
    private readonly subject: ArrayLike<number>,
    private readonly study: ArrayLike<number>,
    private readonly dicom: ArrayLike<string>,
  ) {}

  get length(): number {
    return this.dicom.length;
  }

  at(row: number): string {
    return jpegPath(this.root, this.layout, this.subject[row], this.study[row], this.dicom[row]);
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}

/** Step "image files" (when `checkImages`): images whose JPEG is not on disk are left out and counted. */
export function dropMissingImages(
  rows: Int32Array,
  ids: { subject: ArrayLike<number>; study: ArrayLike<number>; dicom: ArrayLike<string> },
  images: { root: string; layout: "mimic" | "flat" },
  rep: Reporter,
): Int32Array {
  const { subject, study, dicom } = ids;
  return rep.filter("image files", rows, (i) =>
    fs.existsSync(jpegPath(images.root, images.layout, subject[i], study[i], dicom[i]))
      ? undefined
      : "image file missing",
  );
}
