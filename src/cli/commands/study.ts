import * as path from "path";
import { Command, Option } from "commander";
import {
  DEMO_CONFIG,
  demoModels,
  layeredStudyConfig,
  RANDOM_MODEL,
  Study,
  submitToSlurm,
  TABLE3_MODELS,
  table3Models,
  tableReading,
} from "../../pipeline";
import { type ConfigLayer, layeredConfig } from "../../pipeline/configLayers";
import type { ResultsTable } from "../../eval/table";
import { report as writeReport } from "../../pipeline/htmlReport";
import * as backend from "../../backend";
import { InputError } from "../../util/errors";
import { readConfigFile } from "../configFile";
import { checkWritableFolder } from "../outputs";
import { intFlag } from "../flags";

/** Flags shared by the study commands; each overrides the same field of the config file. */
interface StudyFlags {
  config?: string;
  name?: string;
  runsDir?: string;
  seed?: number;
  synth?: number;
  mimicCxr?: string;
  mimicIv?: string;
  features?: string;
  vit?: string;
  epochs?: number;
  batchSize?: number;
  imageSize?: number;
  model?: string;
  chexpert?: string;
  nih?: string;
  skipBadImages?: boolean;
  slurm?: boolean;
  dryRun?: boolean;
  /** sweep: "3" for the paper's whole Table 3, with the ImageNet row when its weights are given. */
  table?: string;
  imagenetWeights?: string;
  imagenetHeads?: number;
}

function studyOptions(cmd: Command): Command {
  return cmd
    .option("--config <file>", 'the study configuration (JSON or YAML; see README "Configuration"); flags win over it')
    .option("--name <run>", "run folder name under --runs-dir (default: the config's, else the command's)")
    .option("--runs-dir <dir>", "where run folders go (default runs)")
    .option("--seed <n>", "one seed for data, pretraining, probes and t-SNE", intFlag("--seed"))
    .option(
      "--synth <patients>",
      "use a synthetic cohort of this many imaged patients (written into the run folder)",
      intFlag("--synth", { min: 1 }),
    )
    .option("--mimic-cxr <dir>", "MIMIC-CXR-JPG 2.0.0 folder (with --mimic-iv)")
    .option("--mimic-iv <dir>", "MIMIC-IV folder (hosp/ + icu/ or core/ + icu/)")
    .option(
      "--features <spec>",
      "train one model with these EHR features (a feature set such as socio-norm, names joined by commas, or none)",
    )
    .addOption(new Option("--vit <size>", "ViT size").choices(["tiny", "small", "base"]))
    .option("--epochs <n>", "pretraining epochs", intFlag("--epochs", { min: 1 }))
    .option("--batch-size <n>", "pretraining batch size", intFlag("--batch-size", { min: 1 }))
    .option("--image-size <px>", "side of the target and anchor views", intFlag("--image-size", { min: 1 }))
    .option("--skip-bad-images", "leave out (and count) images that cannot be decoded instead of stopping")
    .option("--slurm", "submit to Slurm: the shared stages, a job array with one task per model, then this command")
    .option("--dry-run", "with --slurm: print the batch scripts instead of submitting them");
}

/** The flags given on the command line as a config layer: each value at its config path, with its flag. */
function flagLayer(flags: StudyFlags): ConfigLayer {
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  const set = (field: string, flag: string, value: unknown) => {
    if (value === undefined) return;
    const keys = field.split(".");
    let at = values;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys[keys.length - 1]] = value;
    names[field] = flag;
  };
  if (flags.synth !== undefined && (flags.mimicCxr || flags.mimicIv)) {
    throw new InputError({ field: "--synth", expected: "either --synth or --mimic-cxr/--mimic-iv", found: "both" });
  }
  set("name", "--name", flags.name);
  set("runsDir", "--runs-dir", flags.runsDir);
  set("seed", "--seed", flags.seed);
  set("data.synth.patients", "--synth", flags.synth);
  set("data.mimicCxr", "--mimic-cxr", flags.mimicCxr);
  set("data.mimicIv", "--mimic-iv", flags.mimicIv);
  if (flags.features !== undefined) {
    const features =
      flags.features === "none"
        ? []
        : flags.features.includes(",")
          ? flags.features.split(",").map((x) => x.trim())
          : flags.features;
    const name = Array.isArray(features) && features.length === 0 ? "MSN" : `MSN+${flags.features.replace(/,/g, "+")}`;
    set("models", "--features", [{ name, features }]);
    set("baseline", "--features", name);
  }
  set("external.chexpert", "--chexpert", flags.chexpert);
  set("external.nih", "--nih", flags.nih);
  set("pretrain.vit", "--vit", flags.vit);
  set("pretrain.epochs", "--epochs", flags.epochs);
  set("pretrain.batchSize", "--batch-size", flags.batchSize);
  set("pretrain.imageSize", "--image-size", flags.imageSize);
  set("onBadImage", "--skip-bad-images", flags.skipBadImages ? "skip" : undefined);
  set("imagenet.weights", "--imagenet-weights", flags.imagenetWeights);
  set("imagenet.heads", "--imagenet-heads", flags.imagenetHeads);
  return { source: { kind: "flags", flags: names }, values };
}

/**
 * `--table 3`: the models of the paper's Table 3 (the ImageNet row when the layers below give
 * `imagenet`), tested against vanilla MSN; it replaces the models of the preset and the config file.
 */
function table3Layer(layers: readonly ConfigLayer[], flags: StudyFlags): ConfigLayer {
  if (flags.features !== undefined)
    throw new InputError({ field: "--table", expected: "either --table or --features", found: "both" });
  const imagenet = layeredConfig(layers).values.imagenet as { weights: string; heads?: number } | undefined;
  return {
    source: { kind: "flags", flags: { models: "--table", baseline: "--table" } },
    values: { models: table3Models(imagenet), baseline: "MSN" },
  };
}

/** The study's configuration: a preset, then the config file, then the flags given. */
function openStudy(preset: ConfigLayer, flags: StudyFlags): Study {
  const layers = [preset];
  if (flags.config) layers.push({ source: { kind: "file", file: flags.config }, values: readConfigFile(flags.config) });
  layers.push(flagLayer(flags));
  if (flags.table !== undefined) layers.push(table3Layer(layers, flags));
  else if (flags.imagenetWeights !== undefined || flags.imagenetHeads !== undefined)
    throw new InputError({
      field: "--imagenet-weights",
      expected: "--table 3 with it (the ImageNet row is one of Table 3's)",
      found: "no --table",
    });
  const config = layeredStudyConfig(layers);
  checkWritableFolder(config.runsDir, flags.runsDir !== undefined ? "--runs-dir" : "runsDir");
  return Study.fromConfig(config);
}

/** Runs `body` on the study (or submits `stage` to Slurm with --slurm) and always frees it. */
async function withStudy(
  stage: string,
  preset: ConfigLayer,
  flags: StudyFlags,
  body: (s: Study) => Promise<void>,
): Promise<void> {
  const study = openStudy(preset, flags);
  console.log(`run folder: ${study.folder.dir}`);
  if (flags.dryRun && !flags.slurm)
    throw new InputError({ field: "--dry-run", expected: "--slurm with it", found: "--dry-run alone" });
  try {
    if (flags.slurm) {
      submitToSlurm(study, { stage, dryRun: flags.dryRun });
      if (!flags.dryRun) console.log(`follow it with: ehr-msn status ${study.folder.dir}`);
      return;
    }
    // The backend first, so that no tensor is made before it is chosen: a weight file read or an
    // initial encoder made before would start TensorFlow.js's CPU backend, which prints its banner.
    await backend.ensure();
    await body(study);
  } finally {
    await study.close();
  }
}

/** A command's preset as the first config layer. */
function preset(name: string, values: object): ConfigLayer {
  return { source: { kind: "preset", name }, values: values as Record<string, unknown> };
}

function models(study: Study, only?: string): string[] {
  return only ? [study.model(only).name] : study.config.models.map((m) => m.name);
}

/** A results table as text: its header, then one line per row, cells between bars. */
function tableText(t: ResultsTable): string {
  return `${t.columns.join(" | ")}\n${t.rows.map((row) => row.join(" | ")).join("\n")}`;
}

function printTable(t: ResultsTable): void {
  console.log(`\n${tableText(t)}\n${t.note}`);
}

async function runWhole(study: Study): Promise<void> {
  const r = await study.run();
  printTable(r.table);
  const reading = tableReading(study.config, r.probes);
  if (reading) console.log(`\n${reading}`);
  if (r.external) printTable(r.external);
  console.log(`\nreport: ${r.report}`);
}

/** `ehr-msn pretrain | probe | external | finetune | tsne | report | demo | sweep`: stages of one study run folder. */
export function registerStudy(program: Command): void {
  studyOptions(program.command("pretrain"))
    .description("pretrain the study's encoders (vanilla MSN and EHR-MSN), resuming from the run folder's checkpoints")
    .option("--model <name>", "only this model of the study")
    .action((flags: StudyFlags) =>
      withStudy("pretrain", preset("study", { name: "study" }), flags, async (study) => {
        for (const name of models(study, flags.model)) {
          await study.encoder(name);
          console.log(`${name}: ${path.join(study.folder.dir, "models", name, "encoder.safetensors")}`);
        }
      }),
    );

  studyOptions(program.command("probe"))
    .description(
      "linear probes of the study's encoders (the authors' protocol, or probe.logisticC's logistic regression), the results table with CIs and the tests against the baseline",
    )
    .action((flags: StudyFlags) =>
      withStudy("probe", preset("study", { name: "study" }), flags, async (study) => {
        const table = await study.table();
        printTable(table);
        console.log(`\nresults: ${path.join(study.folder.dir, "results.csv")}`);
      }),
    );

  studyOptions(program.command("external"))
    .description(
      "external validation (the paper's Table 4): each model's MIMIC probe on CheXpert's test split, and a probe trained and tested on NIH-14",
    )
    .option(
      "--chexpert <dir>",
      "the CheXpert folder (train.csv, valid.csv, test.csv or test_labels.csv and the images)",
    )
    .option(
      "--nih <dir>",
      "the NIH ChestX-ray14 folder (Data_Entry_2017.csv, train_val_list.txt, test_list.txt, images/)",
    )
    .action((flags: StudyFlags) =>
      withStudy("external", preset("study", { name: "study" }), flags, async (study) => {
        const table = await study.externalTable();
        if (!table)
          throw new InputError({
            field: "--chexpert",
            expected: "a CheXpert or NIH-14 folder (--chexpert, --nih, or `external:` in the config)",
            found: "neither",
          });
        printTable(table);
        console.log(`\nresults: ${path.join(study.folder.dir, "external.csv")}`);
      }),
    );

  studyOptions(program.command("finetune"))
    .description("fine-tune the encoders on 1%, 5% and 10% of the training patients (several random subsets each)")
    .option("--model <name>", "only this model of the study")
    .action((flags: StudyFlags) =>
      withStudy("finetune", preset("study", { name: "study" }), flags, async (study) => {
        for (const name of models(study, flags.model)) {
          const r = await study.finetune(name);
          console.log(`\n${name}\n${tableText(r.table())}`);
        }
      }),
    );

  studyOptions(program.command("tsne"))
    .description("t-SNE of single-label training images per model (the paper's Figure 3), written to tsne.html")
    .action((flags: StudyFlags) =>
      withStudy("tsne", preset("study", { name: "study" }), flags, async (study) => {
        const fig = await study.tsneFigure();
        if (!fig)
          throw new InputError({
            field: "tsne",
            expected: "a t-SNE configuration and enough single-label images",
            found: "t-SNE switched off or too few images",
          });
        console.log(
          `figure: ${writeReport({ title: "t-SNE of single-label samples", sections: [fig], file: study.folder.file("tsne.html") })}`,
        );
      }),
    );

  studyOptions(program.command("report"))
    .description(
      "every stage of the study, then report.html (cohort, EHR distributions, loss curves, results with CIs and tests, external validation when configured, t-SNE)",
    )
    .action((flags: StudyFlags) => withStudy("report", preset("study", { name: "study" }), flags, runWhole));

  studyOptions(program.command("demo"))
    .description(
      "the study end to end on ~2,000 synthetic images with a small ViT: vanilla MSN vs MSN with demographics and an untrained encoder, written to runs/demo/report.html",
    )
    .option(
      "--seeds <n>",
      "pretrain vanilla MSN with this many seeds (rows MSN, MSN-seed2, ...) to show their spread",
      intFlag("--seeds", { min: 1 }),
    )
    .action((flags: StudyFlags & { seeds?: number }) => {
      return withStudy("demo", preset("demo", { ...DEMO_CONFIG, models: demoModels(flags.seeds) }), flags, runWhole);
    });

  studyOptions(program.command("sweep"))
    .description(
      "pretraining and probing for every feature set of the paper's Table 3 (or the config's models), one results table; resumes where it stopped",
    )
    .addOption(
      new Option(
        "--table <n>",
        "3: the paper's whole Table 3 (random floor, ImageNet with --imagenet-weights, DINO, MAE, vanilla MSN, 13 EHR variants), tested against vanilla MSN",
      ).choices(["3"]),
    )
    .option(
      "--imagenet-weights <file>",
      "with --table 3: a supervised ImageNet ViT weight file (torchvision / timm .safetensors) for the ImageNet row (or `imagenet: { weights }` in the config)",
    )
    .option("--imagenet-heads <n>", "attention heads of that file's ViT", intFlag("--imagenet-heads", { min: 1 }))
    .action((flags: StudyFlags) =>
      withStudy("sweep", preset("sweep", { name: "sweep", models: [...TABLE3_MODELS, RANDOM_MODEL] }), flags, runWhole),
    );
}
