/**
 * `synth.generate`: a synthetic MIMIC-IV + MIMIC-CXR-JPG dataset on disk, with the real file names,
 * columns and value formats, so that `cohort.build` reads it exactly as it reads MIMIC.
 */
import * as path from "path";
import { InputError, describeValue } from "../util/errors";
import { CHEXPERT_LABELS, ChexpertLabel } from "../util/labels";
import { progress } from "../util/progress";
import { PhantomSpec, writePhantoms } from "./phantoms";
import { buildPopulation, countsFor, MIMIC_COUNTS, Population, SynthCounts } from "./population";
import { writeJsonAtomic } from "../util/atomicWrite";
import { synthPaths, WrittenFile, writeMimic } from "./write";
import { jpegPath, MIMIC_IV_VERSIONS, type MimicIvVersion } from "../mimic/layout";
import { checkInt, checkOneOf } from "../util/validate";

/** Options of `synth.generate`; one plain object, so that a JSON/YAML config can fill it. */
export interface SynthOptions {
  /** Root folder; MIMIC-CXR-JPG goes to `<dir>/mimic-cxr-jpg/2.0.0`, MIMIC-IV to `<dir>/mimiciv/2.2` (v1: `1.0`). */
  dir: string;
  /** Imaged patients (default 500); MIMIC-IV gets ~4.6x as many patients, as MIMIC does. */
  patients?: number;
  /** `"mimic"`: MIMIC's full size (377,110 images); a number: that fraction of it. Overrides `patients`. */
  scale?: "mimic" | number;
  /** Default 1. */
  seed?: number;
  /** Also write a phantom radiograph per image (default false). */
  images?: boolean;
  /** Long side of the phantoms in pixels (default and checks: the phantom writer's, 512). */
  imageLongSide?: number;
  /** MIMIC-IV layout: `v2` (hosp/, default) or `v1` (core/, as the authors' MIMIC-IV 1.0). */
  layout?: MimicIvVersion;
  /** Write `.csv.gz` (default) or plain `.csv`. */
  gzip?: boolean;
  /** Fractions of imaged patients in the validate and test splits; default 0.04 and 0.10 (the paper's proportions). */
  splitFractions?: { validate: number; test: number };
  quiet?: boolean;
}

export interface SynthResult {
  dir: string;
  /** Pass these to `cohort.build({ mimicCxr, mimicIv })`. */
  mimicCxr: string;
  mimicIv: string;
  /** Per-image truth (true view and position, sex, age, icu, mortality, edge case): for tests only. */
  truth: string;
  files: WrittenFile[];
  counts: SynthCounts & { admissions: number; icuStays: number };
  /** How many of each planted edge case (missing gender, overlapping admissions, ...). */
  edges: Record<string, number>;
  images?: { written: number; seconds: number };
  seconds: number;
}

/** The population behind `generate` (no files): for tests and notebooks that want the truth in memory. */
export function population(opts: Omit<SynthOptions, "dir"> = {}): Population {
  const o = resolve({ dir: ".", ...opts });
  return buildPopulation({ counts: o.counts, seed: o.seed, splitFractions: o.splitFractions });
}

/** Generates the tables (and phantom images when `images` is set) under `dir`. */
export async function generate(opts: SynthOptions): Promise<SynthResult> {
  const start = Date.now();
  const o = resolve(opts);
  const bar = progress("synth", 3, { unit: "step", quiet: opts.quiet });
  const pop = buildPopulation({ counts: o.counts, seed: o.seed, splitFractions: o.splitFractions });
  bar.tick(1, { images: pop.images.length });
  const files = await writeMimic(pop, o.dir, { layout: o.layout, gzip: o.gzip });
  bar.tick(1);
  const paths = synthPaths(o.dir, o.layout);
  let images: SynthResult["images"];
  if (o.images)
    images = await writePhantoms(phantomSpecs(pop, paths.mimicCxr), {
      longSide: opts.imageLongSide,
      quiet: opts.quiet,
    });
  bar.tick(1);
  const result: SynthResult = {
    dir: o.dir,
    ...paths,
    files,
    counts: { ...o.counts, admissions: pop.admissions.length, icuStays: pop.icuStays.length },
    edges: pop.edges,
    images,
    seconds: (Date.now() - start) / 1000,
  };
  writeJsonAtomic(path.join(o.dir, "synth.json"), { options: { ...opts, dir: undefined }, ...result, dir: undefined });
  bar.finish();
  return result;
}

/** One phantom per metadata row, carrying exactly what the tables say about it. */
export function phantomSpecs(pop: Population, mimicCxr: string): PhantomSpec[] {
  return pop.images.map((im) => {
    const s = pop.studies[im.study];
    const p = pop.patients[s.patient];
    const withValue = (v: number) => CHEXPERT_LABELS.filter((_, k) => s.labels[k] === v) as ChexpertLabel[];
    return {
      dicomId: im.dicomId,
      file: jpegPath(path.resolve(mimicCxr), p.subjectId, s.studyId, im.dicomId),
      positive: withValue(1),
      uncertain: withValue(-1),
      view: im.viewWritten,
      position: im.positionWritten,
      sex: p.inPatientsFile ? p.genderWritten : "",
      age: s.age,
      icu: s.icu === 1,
      seed: im.seed,
      anatomySeed: p.anatomySeed,
    };
  });
}

interface Resolved {
  dir: string;
  counts: SynthCounts;
  seed: number;
  images: boolean;
  layout: MimicIvVersion;
  gzip: boolean;
  splitFractions: { validate: number; test: number };
}

/** Checks the options at the boundary and fills the defaults. */
function resolve(opts: SynthOptions): Resolved {
  const bad = (field: string, expected: string, found: unknown) =>
    new InputError({ field, expected, found: describeValue(found) });
  if (typeof opts.dir !== "string" || opts.dir === "") throw bad("dir", "a folder path", opts.dir);
  let counts: SynthCounts;
  if (opts.scale !== undefined) {
    if (opts.scale === "mimic") counts = { ...MIMIC_COUNTS };
    else if (typeof opts.scale === "number" && opts.scale > 0 && opts.scale <= 1)
      counts = countsFor(Math.max(1, Math.round(opts.scale * MIMIC_COUNTS.imagedPatients)));
    else throw bad("scale", `"mimic" or a fraction in (0, 1]`, opts.scale);
  } else {
    const n = opts.patients ?? 500;
    if (!Number.isInteger(n) || n < 1 || n > MIMIC_COUNTS.imagedPatients * 2)
      throw bad("patients", `an integer from 1 to ${MIMIC_COUNTS.imagedPatients * 2}`, n);
    counts = countsFor(n);
  }
  const seed = checkInt(opts.seed ?? 1, "seed");
  const layout = checkOneOf(opts.layout ?? "v2", "layout", MIMIC_IV_VERSIONS);
  const f = opts.splitFractions ?? { validate: 0.04, test: 0.1 };
  if (!(f.validate >= 0 && f.test >= 0 && f.validate + f.test < 1))
    throw bad("splitFractions", "validate and test fractions >= 0 with a sum below 1", `${f.validate} and ${f.test}`);
  return {
    dir: path.resolve(opts.dir),
    counts,
    seed,
    images: Boolean(opts.images),
    layout,
    gzip: opts.gzip ?? true,
    splitFractions: f,
  };
}
