import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as aq from "arquero";
import { withConfigFile } from "../configFile";
import { checkOutputFile, CommandInput } from "../outputs";
import { finiteFlag, intFlag } from "../flags";
import { Command, Option } from "commander";
import { build, CohortOptions } from "../../cohort";
import { CHEXPERT_LABELS } from "../../util/labels";
import { writeFileAtomic, writeJsonAtomic } from "../../util/atomicWrite";
import { InputError } from "../../util/errors";

/** The command line's flags, as commander gives them. */
export interface CohortFlags {
  mimicCxr?: string;
  mimicIv?: string;
  source?: string;
  out?: string;
  images?: string;
  imageLayout?: "mimic" | "flat";
  checkImages?: boolean;
  uncertain?: "zeros" | "ones" | "ignore";
  impute?: "model" | "mode" | "drop";
  stayMatch?: "date" | "datetime" | "last-admission";
  split?: string;
  validate?: number;
  test?: number;
  pretrainSplit?: "train" | "validate" | "test" | "all";
  ageBounds?: string;
  seed?: number;
  features?: string;
  path?: boolean;
  report?: string;
  quiet?: boolean;
}

/** The CohortOptions of the flags (a config file may fill the same object). */
export function cohortOptions(f: CohortFlags): CohortOptions {
  for (const [flag, v, expected] of [
    // Also with a database that holds the MIMIC-CXR tables: the images' paths are made under it.
    ["--mimic-cxr", f.mimicCxr, "the MIMIC-CXR-JPG folder (where its images are)"],
    ["--mimic-iv", f.source ? "(from --source)" : f.mimicIv, "the MIMIC-IV folder, or --source with a database"],
  ] as const) {
    if (!v) throw new InputError({ field: flag, expected, found: "the option missing" });
  }
  let ageBounds: CohortOptions["ageBounds"];
  if (f.ageBounds === "fixed" || f.ageBounds === "train" || f.ageBounds === undefined) ageBounds = f.ageBounds;
  else {
    const [min, max] = f.ageBounds.split(",").map(Number);
    if (!(max > min))
      throw new InputError({
        field: "--age-bounds",
        expected: `fixed, train or MIN,MAX with MAX > MIN`,
        found: JSON.stringify(f.ageBounds),
      });
    ageBounds = { min, max };
  }
  const split: CohortOptions["split"] =
    f.split === "random" ? { validate: f.validate ?? 0.1, test: f.test ?? 0.1, seed: f.seed } : f.split;
  return {
    mimicCxr: f.mimicCxr!,
    mimicIv: f.mimicIv,
    source: f.source,
    images: f.images,
    imageLayout: f.imageLayout,
    checkImages: f.checkImages,
    uncertain: f.uncertain,
    impute: f.impute,
    stayMatch: f.stayMatch,
    split,
    pretrainSplit: f.pretrainSplit,
    ageBounds,
    seed: f.seed,
    quiet: f.quiet,
  };
}

/** Refuses, before any work, outputs that are inputs (or each other), folders, or not writable. */
function checkOutputs(flags: CohortFlags & { config?: string }): void {
  const inputs: CommandInput[] = [
    { flag: "--mimic-cxr", path: flags.mimicCxr! },
    ...(flags.mimicIv ? [{ flag: "--mimic-iv", path: flags.mimicIv }] : []),
    ...(flags.source?.startsWith("duckdb:") ? [{ flag: "--source", path: flags.source.slice("duckdb:".length) }] : []),
    ...(flags.images ? [{ flag: "--images", path: flags.images }] : []),
    ...(flags.split && !["paper", "official", "random"].includes(flags.split)
      ? [{ flag: "--split", path: flags.split }]
      : []),
    ...(flags.config ? [{ flag: "--config", path: flags.config }] : []),
  ];
  checkOutputFile(flags.out!, "--out", inputs);
  if (flags.report) checkOutputFile(flags.report, "--report", [...inputs, { flag: "--out", path: flags.out! }]);
}

/** `ehr-msn cohort`: the cohort as a CSV, one row per image. */
export function registerCohort(program: Command): void {
  withConfigFile(program.command("cohort"))
    .description(
      "build the cohort from MIMIC-CXR-JPG and MIMIC-IV and write one CSV row per image (dicom_id, split, 14 labels, age, sex, view, position, icu, mortality)",
    )
    .option(
      "--mimic-cxr <dir>",
      "(required) MIMIC-CXR-JPG 2.0.0 folder (mimic-cxr-2.0.0-metadata.csv(.gz), -chexpert, -split)",
    )
    .option("--mimic-iv <dir>", "(required unless --source) MIMIC-IV folder (hosp/ and icu/, or core/ and icu/)")
    .option(
      "--source <db>",
      "MIMIC-IV from a database in mimic-code's layout instead: duckdb:FILE or postgres://user@host:port/db",
    )
    .option("--out <file>", "(required) CSV to write (.csv, or .csv.gz to compress)")
    .option("--images <dir>", "root of the JPEGs (default: --mimic-cxr)")
    .addOption(
      new Option("--image-layout <l>", "mimic: files/pXX/pN/sN/<dicom_id>.jpg; flat: <dicom_id>.jpg").choices([
        "mimic",
        "flat",
      ]),
    )
    .option("--check-images", "leave out (and count) images whose JPEG is missing")
    .addOption(
      new Option("--uncertain <policy>", "uncertain labels (-1.0) become 0, 1 or -1 (ignored)").choices([
        "zeros",
        "ones",
        "ignore",
      ]),
    )
    .addOption(
      new Option("--impute <how>", "missing view / position: random forest, training mode, or drop the row").choices([
        "model",
        "mode",
        "drop",
      ]),
    )
    .addOption(
      new Option(
        "--stay-match <rule>",
        "studies to admissions and ICU stays: by calendar date (authors), by time, or the subject's last admission",
      ).choices(["date", "datetime", "last-admission"]),
    )
    .option(
      "--split <s>",
      "paper (by patient, Table 2's proportions of images; default for MIMIC), official (mimic-cxr-2.0.0-split; default for synthetic data), a split file with dicom_id and split, or random (by patient)",
    )
    .option(
      "--validate <f>",
      "with --split random: fraction of patients in validate (default 0.1)",
      finiteFlag("--validate"),
    )
    .option("--test <f>", "with --split random: fraction of patients in test (default 0.1)", finiteFlag("--test"))
    .addOption(
      new Option("--pretrain-split <s>", "images pretraining may see (default train; all = the authors)").choices([
        "train",
        "validate",
        "test",
        "all",
      ]),
    )
    .option("--age-bounds <b>", "age_norm bounds: fixed (16-100, the authors), train, or MIN,MAX")
    .option("--seed <n>", "seed of the imputation forest and random splits (default 24)", intFlag("--seed"))
    .option(
      "--features <spec>",
      "also write these EHR feature columns (a feature set such as all-age-norm, or names joined by commas)",
    )
    .option("--path", "also write each image's path")
    .option("--report <file>", "write the build report (rows in and out per step, rows left out by reason) as JSON")
    .option("--quiet", "no progress display")
    .action(async (flags: CohortFlags) => {
      if (!flags.out) throw new InputError({ field: "--out", expected: "the CSV file to write", found: "nothing" });
      const options = cohortOptions(flags);
      checkOutputs(flags);
      const c = await build(options);
      const cols = [
        "dicom_id",
        "split",
        ...(flags.path ? ["path"] : []),
        ...CHEXPERT_LABELS,
        "age",
        "sex",
        "view",
        "position",
        "icu",
        "mortality",
      ];
      let table = c.table.select(cols);
      if (flags.features) {
        // The authors' feature CSVs: one column per encoded feature, for every image ("icu" is the
        // same 0/1 as the EHR field of that name, so it stays in its place).
        const m = c.features(
          flags.features.split(",").map((x) => x.trim()),
          "all",
        );
        const n = table.numRows();
        const w = m.names.length;
        const features: Record<string, Float64Array> = {};
        m.names.forEach((name, j) => {
          const col = new Float64Array(n);
          // float32 values printed at float32 precision (0.452381, not 0.4523809552192688)
          for (let i = 0; i < n; i++) col[i] = Number(m.values[i * w + j].toPrecision(7));
          features[name] = col;
        });
        table = table.assign(aq.table(features));
      }
      const text = table.toCSV();
      fs.mkdirSync(path.dirname(path.resolve(flags.out!)), { recursive: true });
      writeFileAtomic(flags.out!, flags.out!.endsWith(".gz") ? zlib.gzipSync(text) : text);
      if (flags.report) writeJsonAtomic(flags.report, { ...c.report, text: undefined });
      console.log(c.report.text());
      console.log(`\n${c.summary().text()}`);
      console.log(`\nwrote ${table.numRows()} rows to ${flags.out}`);
    });
}
