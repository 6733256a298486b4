import { withConfigFile } from "../configFile";
import { checkDatasetFolder } from "../outputs";
import { fractionFlag, intFlag } from "../flags";
import { Command, Option } from "commander";
import { generate, SynthOptions } from "../../synth";
import { InputError } from "../../util/errors";

/** The command line's flags, as commander gives them. */
export interface SynthFlags {
  out?: string;
  patients?: number;
  scale?: string;
  seed?: number;
  images?: boolean;
  imageLongSide?: number;
  layout?: "v1" | "v2";
  gzip?: boolean;
  validate?: number;
  test?: number;
  quiet?: boolean;
  force?: boolean;
}

/** The SynthOptions of the flags (a config file may fill the same object). */
export function synthOptions(f: SynthFlags): SynthOptions {
  if (!f.out) throw new InputError({ field: "--out", expected: "the folder to write to", found: "nothing" });
  const scale = f.scale === undefined ? undefined : f.scale === "mimic" ? "mimic" : Number(f.scale);
  const fractions =
    f.validate !== undefined || f.test !== undefined
      ? { validate: f.validate ?? 0.04, test: f.test ?? 0.1 }
      : undefined;
  return {
    dir: f.out,
    patients: f.patients,
    scale,
    seed: f.seed,
    images: f.images,
    imageLongSide: f.imageLongSide,
    layout: f.layout,
    gzip: f.gzip,
    splitFractions: fractions,
    quiet: f.quiet,
  };
}

/** `ehr-msn synth`: synthetic MIMIC-IV and MIMIC-CXR-JPG tables (and phantom JPEGs with --images). */
export function registerSynth(program: Command): void {
  withConfigFile(program.command("synth"))
    .description(
      "write a synthetic MIMIC-IV + MIMIC-CXR-JPG dataset (real file and column names), optionally with phantom JPEGs",
    )
    .option("--out <dir>", "folder to write (required) (mimic-cxr-jpg/2.0.0/ and mimiciv/<version>/ go under it)")
    .option(
      "--patients <n>",
      "imaged patients (default 500; MIMIC-IV gets ~4.6x as many patients)",
      intFlag("--patients"),
    )
    .option("--scale <s>", `"mimic" for MIMIC's full size (377,110 images), or a fraction of it; overrides --patients`)
    .option("--seed <n>", "random seed (default 1)", intFlag("--seed"))
    .option("--images", "also write one phantom radiograph per image")
    .option("--image-long-side <px>", "long side of the phantoms (default 512)", intFlag("--image-long-side"))
    .addOption(new Option("--layout <v>", "MIMIC-IV layout: v2 (hosp/) or v1 (core/)").choices(["v2", "v1"]))
    .option("--no-gzip", "write .csv instead of .csv.gz")
    .option("--validate <f>", "fraction of patients in the validate split (default 0.04)", fractionFlag("--validate"))
    .option("--test <f>", "fraction of patients in the test split (default 0.10)", fractionFlag("--test"))
    .option("--quiet", "no progress display")
    .option("--force", "replace the tables of a MIMIC-shaped dataset already in --out")
    .action(async (flags: SynthFlags) => {
      const options = synthOptions(flags);
      checkDatasetFolder(options.dir, "--out", ["mimic-cxr-jpg", "mimiciv"], flags.force ?? false);
      const r = await generate(options);
      console.log(
        `wrote ${r.counts.images} images, ${r.counts.studies} studies, ${r.counts.imagedPatients} imaged patients of ${r.counts.patients}, ${r.counts.admissions} admissions, ${r.counts.icuStays} ICU stays in ${r.seconds.toFixed(1)} s`,
      );
      for (const f of r.files) console.log(`  ${f.file} (${f.rows} rows)`);
      if (r.images) console.log(`  ${r.images.written} phantom JPEGs under ${r.mimicCxr}/files`);
      console.log(`next: ehr-msn cohort --mimic-cxr ${r.mimicCxr} --mimic-iv ${r.mimicIv} --out cohort.csv`);
    });
}
