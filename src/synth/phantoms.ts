/**
 * Phantom chest radiographs for the synthetic cohort. Placeholder until the image-pipeline issue
 * lands: the table generator already calls it, so the signature is fixed here.
 */
import type { ChexpertLabel } from "../util/labels";

/** Everything about one image that its picture may show. */
export interface PhantomSpec {
  dicomId: string;
  /** Absolute path of the JPEG to write (MIMIC-CXR-JPG layout files/pXX/pNNNNNNNN/sNNNNNNNN/<dicom_id>.jpg). */
  file: string;
  /** Positive findings of the study (CheXpert 1.0); uncertain ones (-1.0) are drawn faintly. */
  positive: ChexpertLabel[];
  uncertain: ChexpertLabel[];
  /** DICOM ViewPosition as written in the metadata ("PA", "AP", "LATERAL", "LL", "" or other codes). */
  view: string;
  /** "Erect", "Recumbent" or "" (unknown). */
  position: string;
  sex: "M" | "F" | "";
  age: number;
  /** In an ICU stay at the time of the study. */
  icu: boolean;
  /** Seed of this image (deterministic output). */
  seed: number;
}

export interface PhantomOptions {
  /** Long side in pixels (default 512). */
  longSide?: number;
  /** Worker threads (default: the number of cores). */
  concurrency?: number;
  quiet?: boolean;
}

export async function writePhantoms(_specs: PhantomSpec[], _opts: PhantomOptions = {}): Promise<{ written: number; seconds: number }> {
  throw new Error("phantom radiographs are not implemented yet (image-pipeline issue)");
}
