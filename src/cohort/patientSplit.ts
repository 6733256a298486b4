/**
 * Patient-level splits: every image of a patient in one split, drawn with a seed. `"paper"`, the
 * default for MIMIC data, has the proportions of images of the paper's Table 2 (325,188 training,
 * 15,282 validation and 36,625 test images); the official MIMIC-CXR split (98.5% / 0.8% / 1.4% of the
 * images) is `split: "official"`. A dataset written by `synth.generate` keeps its own split file by
 * default, which the generator already draws by patient at the paper's proportions of patients.
 */
import * as fs from "fs";
import * as path from "path";
import { Rng } from "../util/random";
import type { RandomSplit, SplitName } from "./types";
import { SPLIT_NAMES } from "./types";

/** Images per split in the paper's Table 2 (MIMIC-CXR, internal validation). */
export const PAPER_SPLIT_IMAGES: Readonly<Record<SplitName, number>> = { train: 325188, validate: 15282, test: 36625 };

/** The paper's split as a random split: Table 2's fractions of images, by patient. */
export function paperSplit(seed?: number): RandomSplit {
  const { train, validate, test } = PAPER_SPLIT_IMAGES;
  const total = train + validate + test;
  return { validate: validate / total, test: test / total, by: "images", ...(seed !== undefined && { seed }) };
}

/**
 * The split used when none is given: "official" for a dataset written by `synth.generate` (its
 * `synth.json` sits two folders above the MIMIC-CXR-JPG folder), whose split file is already
 * patient-level at the paper's proportions; "paper" for real MIMIC data.
 */
export function defaultSplit(mimicCxr: string): "official" | "paper" {
  return fs.existsSync(path.join(mimicCxr, "..", "..", "synth.json")) ? "official" : "paper";
}

/**
 * Writes the split code (index in SPLIT_NAMES) of each of `rows` into `out`. The subjects, sorted by
 * id, are shuffled with the seed (`s.seed`, else `seed`) and taken in that order: into test until it
 * holds round(test·N) of the N units, then into validate until it holds round(validate·N), the rest
 * into train. Units are patients (default) or images (`by: "images"`), so that with images a split
 * overshoots its share by less than one patient's images.
 */
export function patientSplit(
  rows: Int32Array,
  subject: ArrayLike<number>,
  out: Int8Array,
  s: RandomSplit,
  seed: number,
): void {
  const images = new Map<number, number>();
  for (const i of rows) images.set(subject[i], (images.get(subject[i]) ?? 0) + 1);
  const units = (id: number) => (s.by === "images" ? images.get(id)! : 1);
  const subjects = [...images.keys()].sort((a, b) => a - b);
  new Rng(s.seed ?? seed).shuffle(subjects);
  const total = s.by === "images" ? rows.length : subjects.length;
  const targets: [SplitName, number][] = [
    ["test", Math.round(s.test * total)],
    ["validate", Math.round(s.validate * total)],
  ];
  const of = new Map<number, number>();
  let k = 0;
  for (const [name, target] of targets) {
    for (let held = 0; held < target && k < subjects.length; k++) {
      of.set(subjects[k], SPLIT_NAMES.indexOf(name));
      held += units(subjects[k]);
    }
  }
  for (; k < subjects.length; k++) of.set(subjects[k], SPLIT_NAMES.indexOf("train"));
  for (const i of rows) out[i] = of.get(subject[i])!;
}
