/**
 * A study: synthetic or MIMIC data -> cohort -> image cache -> one pretrained encoder per model ->
 * linear probes -> significance tests -> results table -> external validation (when configured) -> t-SNE ->
 * report, kept in one run folder.
 * Every stage is cached there (data, image cache, checkpoints, embeddings, probe results), so a
 * stopped study resumes where it stopped and a finished stage is never computed twice; the same
 * config and seed give the same numbers.
 */
import * as fs from "fs";
import * as path from "path";
import * as backend from "../backend";
import { build as buildCohort } from "../cohort/build";
import { chexpert as readChexpert, nih as readNih } from "../cohort/external";
import type { Cohort, LabelledDataset } from "../cohort/types";
import { embedSplit, probe as runProbe } from "../eval/probe";
import { finetune as runFinetune, FinetuneResult } from "../eval/finetune";
import { resultsTable, ResultsTable, TableEntry } from "../eval/table";
import { compare } from "../eval/compare";
import { externalValidation } from "../eval/external";
import type { HeadWeights } from "../eval/head";
import type { EvalReport } from "../eval/evalReport";
import { labelResult } from "../eval/labelResult";
import { buildCache, datasetImages } from "../images/cache";
import type { EvalViewOptions, ImageCache } from "../images/types";
import { load as loadEncoder } from "../model/load";
import type { VisionTransformer } from "../model/vit";
import { generate as generateSynth } from "../synth/generate";
import { synthPaths } from "../synth/write";
import { pretrain as runPretrain, PretrainCallbacks } from "../train/pretrain";
import { pretrainConfig, type PretrainConfig } from "../train/config";
import type { Figure } from "../viz/figure";
import { report as writeReport } from "./htmlReport";
import { FIGURE3_GROUPS, singleLabels, tsneFigure } from "../viz/scatter";
import { tsne } from "../projection/tsne";
import { writeFileAtomic } from "../util/atomicWrite";
import { InputError } from "../util/errors";
import { Rng } from "../util/random";
import { takeRows } from "../util/rows";
import { ModelSpec, StudyConfig, studyConfig } from "./config";
import { ModelComparison, StudyReportInput, studyReportSections, studyReportTitle } from "./studyReport";
import { EXTERNAL_NAMES, ExternalDataset, ExternalSummary, ProbeSummary, StudyProbe } from "./summaries";
import { writeInitialEncoder } from "./encoderInit";
import { changedTables, DataFingerprint, dataFingerprint } from "./dataFingerprint";
import { RunFolder } from "./runFolder";

export interface OpenOptions {
  /**
   * Take the run folder's lock (default true: one process writes a run folder at a time). Slurm's array
   * tasks share the folder and lock each model's folder instead (folderLock.ts).
   */
  lockFolder?: boolean;
}

export interface StudyResults {
  table: ResultsTable;
  comparisons: ModelComparison[];
  probes: ProbeSummary[];
  /** Every model on every external dataset of the config, as one table (none configured: absent). */
  external?: ResultsTable;
  report?: string;
}

/** The settings that stored data, caches and checkpoints depend on. */
const RESULT_DEFINING = ["data", "cohort", "cacheShortSide", "pretrain", "seed"] as const;

export class Study {
  readonly folder: RunFolder;
  private cohortPromise?: Promise<Cohort>;
  private cachePromise?: Promise<ImageCache>;
  private readonly externalSets = new Map<ExternalDataset, Promise<{ dataset: LabelledDataset; cache: ImageCache }>>();
  private readonly encoders = new Map<string, VisionTransformer>();
  private readonly probes = new Map<string, StudyProbe>();

  private constructor(readonly config: StudyConfig) {
    this.folder = new RunFolder(config.runsDir, config.name);
  }

  /**
   * Checks the configuration (before any work) and opens its run folder. What the stored results
   * depend on (data, cohort, image cache, pretraining, seed, each model's features) must match the
   * study already in the folder, so results never mix; evaluation settings and added models may change.
   */
  static open(given: Record<string, unknown>, file?: string, options: OpenOptions = {}): Study {
    return Study.fromConfig(studyConfig(given, file), options);
  }

  /** Opens the run folder of a checked configuration (`studyConfig`, `layeredStudyConfig`); see `open`. */
  static fromConfig(config: StudyConfig, options: OpenOptions = {}): Study {
    // The environment is checked with the config, before any data, cohort or cache is built.
    backend.forcedBackend();
    const study = new Study(config);
    if (options.lockFolder !== false) study.folder.lock();
    try {
      study.checkFolder();
    } catch (e) {
      study.folder.unlock();
      throw e;
    }
    study.folder.writeJson("config.json", config);
    return study;
  }

  /** Refuses a run folder that holds a study with other result-defining settings. */
  private checkFolder(): void {
    const config = this.config;
    const before = this.folder.readJson<StudyConfig>("config.json");
    if (!before) return;
    const differs: string[] = RESULT_DEFINING.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(config[k]));
    for (const m of config.models) {
      const old = before.models.find((x) => x.name === m.name);
      if (old && JSON.stringify(old.features) !== JSON.stringify(m.features))
        differs.push(`features of model ${m.name}`);
      if (old && JSON.stringify(old.init ?? "pretrain") !== JSON.stringify(m.init ?? "pretrain"))
        differs.push(`init of model ${m.name}`);
      if (old && (old.method ?? "msn") !== (m.method ?? "msn")) differs.push(`method of model ${m.name}`);
      if (old && old.seed !== m.seed) differs.push(`seed of model ${m.name}`);
    }
    if (differs.length > 0) {
      throw new InputError({
        file: path.join(this.folder.dir, "config.json"),
        field: differs[0],
        expected: "the settings of the study already in this run folder",
        found: `a different ${differs.join(", ")}`,
        hint: `Give the study another name (--name), or delete ${this.folder.dir} to start it again.`,
      });
    }
  }

  /** The MIMIC folders: the user's, or synthetic ones written (once) into the run folder. */
  async data(): Promise<{ mimicCxr: string; mimicIv: string; images?: string; imageLayout?: "mimic" | "flat" }> {
    const d = this.config.data;
    if (!("synth" in d)) return d;
    const dir = this.folder.folder("data");
    const paths = synthPaths(dir, "v2");
    const stamp = { patients: d.synth.patients, imageLongSide: d.synth.imageLongSide, seed: this.config.seed };
    const done = this.folder.readJson<typeof stamp>("data/done.json");
    if (JSON.stringify(done) !== JSON.stringify(stamp)) {
      // Whatever is there is another stamp's data or a killed run's half (with its `*.tmp-<pid>` files).
      fs.rmSync(dir, { recursive: true, force: true });
      await generateSynth({
        dir,
        patients: stamp.patients,
        seed: stamp.seed,
        images: true,
        imageLongSide: stamp.imageLongSide,
      });
      this.folder.writeJson("data/done.json", stamp);
    }
    return { mimicCxr: paths.mimicCxr, mimicIv: paths.mimicIv };
  }

  /** The cohort (built once per session; its report and summary are kept in the run folder). */
  cohort(): Promise<Cohort> {
    this.cohortPromise ??= (async () => {
      const data = await this.data();
      this.checkDataFingerprint(data.mimicCxr, data.mimicIv);
      const c = await buildCohort({ ...this.config.cohort, ...data });
      this.folder.writeJson("cohort-report.json", { ...c.report, text: c.report.text() });
      const s = c.summary();
      this.folder.writeJson("cohort-summary.json", { splits: s.splits, labels: s.labels, features: s.features });
      return c;
    })();
    return this.cohortPromise;
  }

  /**
   * Records the fingerprint of the MIMIC tables on first use; later, refuses to go on when they changed,
   * since every stored stage (cohort, cache, encoders, probes) was made from the old data.
   */
  private checkDataFingerprint(mimicCxr: string, mimicIv: string): void {
    const now = dataFingerprint(mimicCxr, mimicIv, this.config.cohort.split);
    const before = this.folder.readJson<DataFingerprint>("data-fingerprint.json");
    if (!before) {
      this.folder.writeJson("data-fingerprint.json", now);
      return;
    }
    const changed = changedTables(before, now);
    if (changed.length > 0) {
      throw new InputError({
        file: path.join(this.folder.dir, "data-fingerprint.json"),
        expected: "the data this run folder's cohort, image cache, encoders and probes were made from",
        found: `changed tables since then: ${changed.join(", ")}`,
        hint: `Give the study another --name to start from the new data, or delete ${this.folder.dir} to redo this one.`,
      });
    }
  }

  /** Every image of the cohort in one cache (reused when its inputs and settings are unchanged). */
  cache(): Promise<ImageCache> {
    this.cachePromise ??= this.cohort().then((c) => this.cacheOf(c, "image-cache"));
    return this.cachePromise;
  }

  /** A dataset's images, every split, in a cache in the run folder (buildCache reuses it when nothing changed). */
  private cacheOf(dataset: LabelledDataset, folder: string): Promise<ImageCache> {
    return buildCache({
      images: datasetImages(dataset),
      dir: this.folder.folder(folder),
      shortSide: this.config.cacheShortSide,
      channels: 1,
      onBadImage: this.config.onBadImage,
    });
  }

  /** An external dataset of the config and its image cache (external/<dataset>/). */
  private externalSet(which: ExternalDataset, dir: string): Promise<{ dataset: LabelledDataset; cache: ImageCache }> {
    let data = this.externalSets.get(which);
    if (!data) {
      data = (async () => {
        const dataset =
          which === "chexpert"
            ? await readChexpert({ dir, uncertain: this.config.cohort.uncertain })
            : await readNih({ dir, seed: this.config.seed });
        // The paper evaluates on CheXpert's test split: a folder without one is named, not evaluated on nothing.
        if (which === "chexpert" && dataset.split("test").numRows() === 0) {
          throw new InputError({
            field: "external.chexpert",
            file: dir,
            expected: "CheXpert's test labels (test.csv or test_labels.csv)",
            found: "no test images",
          });
        }
        this.folder.writeJson(path.join("external", which, "report.json"), {
          ...dataset.report,
          text: dataset.report.text(),
        });
        return { dataset, cache: await this.cacheOf(dataset, path.join("external", which, "image-cache")) };
      })();
      this.externalSets.set(which, data);
    }
    return data;
  }

  model(name: string): ModelSpec {
    const m = this.config.models.find((x) => x.name === name);
    if (!m)
      throw new InputError({
        field: "model",
        expected: `one of ${this.config.models.map((x) => x.name).join(", ")}`,
        found: JSON.stringify(name),
      });
    return m;
  }

  /** Pretraining settings of the study (its seed unless `pretrain.seed` is given), or of one model (its own seed if it has one). */
  pretrainSettings(model?: string) {
    return pretrainConfig(this.pretrainGiven(model));
  }

  /** The pretraining options the config gives (a model's own seed wins). */
  private pretrainGiven(model?: string): Partial<PretrainConfig> {
    const seed = model === undefined ? undefined : this.model(model).seed;
    return { seed: this.config.seed, ...this.config.pretrain, ...(seed === undefined ? {} : { seed }) };
  }

  /**
   * The pretrained target encoder of a model: trained (or resumed from its last checkpoint) in
   * `models/<name>/`, or read from there when that run has finished. `signal` stops pretraining with a
   * checkpoint to resume from (`PretrainInterruptedError`).
   */
  async encoder(name: string, callbacks?: PretrainCallbacks, signal?: AbortSignal): Promise<VisionTransformer> {
    const known = this.encoders.get(name);
    if (known) return known;
    const spec = this.model(name);
    const dir = this.folder.folder(path.join("models", name));
    const file = path.join(dir, "encoder.safetensors");
    if (!fs.existsSync(file) && spec.init !== undefined && spec.init !== "pretrain")
      writeInitialEncoder(spec.init, this.pretrainSettings(name), file);
    if (!fs.existsSync(file)) {
      const [cohort, cache] = [await this.cohort(), await this.cache()];
      const onStep = callbacks?.onStep;
      // A resumed run replays the steps after its last checkpoint (bit-identically): log each step once.
      const logged = this.folder
        .metrics()
        .reduce((max, m) => (m.stage === "pretrain" && m.model === name ? Math.max(max, m.step as number) : max), 0);
      let step = 0;
      const result = await runPretrain({
        ...this.pretrainGiven(name),
        cohort,
        cache,
        ...(spec.method ? { method: spec.method } : {}),
        features: spec.features,
        dir,
        resume: true,
        signal,
        callbacks: {
          ...callbacks,
          onStep: async (s) => {
            step = s.step;
            if (s.step > logged)
              this.folder.appendMetric({
                stage: "pretrain",
                model: name,
                step: s.step,
                epoch: s.epoch,
                loss: s.loss,
                lr: s.lr,
              });
            await onStep?.(s);
          },
          // Prototype usage and collapse checks once per epoch (train/diagnostics.ts), beside the loss.
          onEpochEnd: async (e) => {
            if (step > logged)
              this.folder.appendMetric({
                stage: "pretrain-epoch",
                model: name,
                step,
                epoch: e.epoch,
                meanLoss: e.meanLoss,
                ...e.diagnostics,
              });
            await callbacks?.onEpochEnd?.(e);
          },
        },
      });
      result.model.dispose();
    }
    const vit = loadEncoder(file);
    this.encoders.set(name, vit);
    return vit;
  }

  /** Loss per step of a model's pretraining (from its run folder). */
  history(name: string): { loss: number[]; lr: number[] } | undefined {
    return this.folder.readJson(path.join("models", name, "history.json"));
  }

  /** Evaluation transform for the encoder's size: the authors' resize 256 / crop 224, scaled. */
  evalView(): EvalViewOptions {
    const { imageSize } = this.pretrainSettings();
    // The crop is the study's size, also for an encoder read from a file at another size (its position embedding is resampled).
    return { resize: Math.round((imageSize * 256) / 224), crop: imageSize };
  }

  /** What a probe's result depends on besides the encoder's weights (stored with it, to know when it is stale). */
  private probeSettings(): Record<string, unknown> {
    return { ...this.config.probe, seed: this.config.seed, view: this.evalView() };
  }

  /** The config's probe protocol and bootstrap, as `probe` takes them. */
  private probeOptions() {
    const p = this.config.probe;
    return {
      runs: p.runs,
      maxEpochs: p.maxEpochs,
      patience: p.patience,
      augment: p.augment,
      preset: p.preset,
      logisticC: p.logisticC,
      n: p.bootstrap,
      seed: this.config.seed,
    };
  }

  /** The linear probe of a model (the authors' protocol, or the logistic probe of `probe.logisticC`), kept as models/<name>/probe.json. */
  async probe(name: string): Promise<StudyProbe> {
    const cached = this.probes.get(name);
    if (cached) return cached;
    const encoder = await this.encoder(name);
    const file = path.join("models", name, "probe.json");
    const stored = this.folder.readJson<ProbeSummary>(file);
    const settings = JSON.stringify(this.probeSettings());
    if (stored && stored.encoder === encoder.fingerprint() && stored.settings === settings && stored.head) {
      const p = withLabels(stored);
      this.probes.set(name, p);
      return p;
    }
    const r = await runProbe({
      encoder,
      cohort: await this.cohort(),
      cache: await this.cache(),
      view: this.evalView(),
      embeddingsDir: this.folder.folder("embeddings"),
      ...this.probeOptions(),
    });
    const summary: ProbeSummary = {
      model: name,
      encoder: encoder.fingerprint(),
      settings,
      chosen: r.chosen,
      macro: r.macro,
      perLabel: r.perLabel,
      test: storedTest(r.test),
      head: {
        names: [...r.head.names],
        dim: r.head.dim,
        weight: Array.from(r.head.weight),
        bias: Array.from(r.head.bias),
      },
    };
    this.folder.writeJson(file, summary);
    this.folder.appendMetric({
      stage: "probe",
      model: name,
      auroc: r.macro.auroc,
      auprc: r.macro.auprc,
      chosen: r.chosen,
    });
    const p = withLabels(summary);
    this.probes.set(name, p);
    return p;
  }

  /**
   * External validation of a model (the paper's Table 4): on CheXpert, its MIMIC-trained probe applied
   * as it is to the test split (labels matched by name); on NIH-14, whose findings differ, a probe
   * trained, chosen and tested on NIH's own splits with the same protocol.
   */
  async external(name: string, which: ExternalDataset): Promise<ExternalSummary> {
    const dir = this.config.external[which];
    if (!dir)
      throw new InputError({
        field: `external.${which}`,
        expected: `the ${EXTERNAL_NAMES[which]} folder in the study's config`,
        found: "none",
      });
    const encoder = await this.encoder(name);
    const file = path.join("models", name, `external-${which}.json`);
    const stored = this.folder.readJson<ExternalSummary>(file);
    const settings = JSON.stringify({ dir: path.resolve(dir), ...this.probeSettings() });
    if (stored && stored.encoder === encoder.fingerprint() && stored.settings === settings) return stored;
    const { dataset, cache } = await this.externalSet(which, dir);
    const source = {
      encoder,
      cache,
      view: this.evalView(),
      embeddingsDir: this.folder.folder(path.join("external", which, "embeddings")),
    };
    let r;
    if (which === "chexpert") {
      const h = (await this.probe(name)).head;
      const head: HeadWeights = {
        names: h.names,
        dim: h.dim,
        weight: Float32Array.from(h.weight),
        bias: Float32Array.from(h.bias),
      };
      const { n, seed } = this.probeOptions();
      const e = await externalValidation({ ...source, head, dataset, n, seed });
      r = {
        protocol: "MIMIC-CXR probe applied to the CheXpert test split",
        images: e.rows - e.missing,
        missing: e.missing,
        unmatched: e.unmatched,
        report: e,
      };
    } else {
      const e = await runProbe({ ...source, cohort: dataset, ...this.probeOptions() });
      r = {
        protocol: "probe trained and chosen on NIH-14 train / validate, tested on its test list",
        images: e.rows.test.rows - e.rows.test.missing,
        missing: e.rows.test.missing,
        unmatched: [],
        report: e,
      };
    }
    const summary: ExternalSummary = {
      model: name,
      dataset: which,
      protocol: r.protocol,
      encoder: encoder.fingerprint(),
      settings,
      images: r.images,
      missing: r.missing,
      unmatched: r.unmatched,
      macro: r.report.macro,
      test: storedTest(r.report.test),
    };
    this.folder.writeJson(file, summary);
    this.folder.appendMetric({
      stage: `external-${which}`,
      model: name,
      auroc: summary.macro.auroc,
      auprc: summary.macro.auprc,
    });
    return summary;
  }

  /** Every model on every external dataset of the config, one column group per dataset; kept as external.csv. */
  async externalTable(): Promise<ResultsTable | undefined> {
    const sets = (Object.keys(EXTERNAL_NAMES) as ExternalDataset[]).filter((k) => this.config.external[k]);
    if (sets.length === 0) return undefined;
    const entries: TableEntry[] = [];
    for (const which of sets) {
      for (const m of this.config.models)
        entries.push({ model: m.name, group: EXTERNAL_NAMES[which], test: scored(await this.external(m.name, which)) });
    }
    return this.resultsFile(entries, "external.csv");
  }

  /** Every model against the baseline on the same test set: paired bootstrap and DeLong. */
  async comparisons(): Promise<ModelComparison[]> {
    const base = await this.probe(this.config.baseline);
    const out: ModelComparison[] = [];
    for (const m of this.config.models) {
      if (m.name === this.config.baseline) continue;
      const comparison = compare(scored(base), scored(await this.probe(m.name)), {
        n: this.config.probe.bootstrap,
        seed: this.config.seed,
        quiet: true,
      });
      out.push({ model: m.name, comparison });
    }
    return out;
  }

  /** The paper's table: macro AUROC and AUPRC with 95% CIs, marked where better than the baseline. */
  async table(): Promise<ResultsTable> {
    const entries: TableEntry[] = [];
    for (const m of this.config.models) entries.push({ model: m.name, test: scored(await this.probe(m.name)) });
    return this.resultsFile(entries, "results.csv");
  }

  /** The results table of `entries`, marked against the baseline, and kept as `file` (CSV) in the run folder. */
  private resultsFile(entries: TableEntry[], file: string): ResultsTable {
    const table = resultsTable(entries, {
      baseline: this.config.baseline,
      n: this.config.probe.bootstrap,
      seed: this.config.seed,
      quiet: true,
    });
    writeFileAtomic(this.folder.file(file), table.csv());
    return table;
  }

  /**
   * The paper's Figure 3: t-SNE of the training images that carry exactly one label, one panel per
   * model and label group, the same images for every model (at most `tsne.maxPoints`, drawn with the seed).
   */
  async tsneFigure(): Promise<Figure | undefined> {
    const t = this.config.tsne;
    if (t === false) return undefined;
    const cohort = await this.cohort();
    const cache = await this.cache();
    const models = [];
    let labels: (string | null)[] | undefined;
    let pick: Int32Array | undefined;
    for (const m of this.config.models) {
      const encoder = await this.encoder(m.name);
      const { rows, x } = await embedSplit(
        { encoder, cache, view: this.evalView(), embeddingsDir: this.folder.folder("embeddings") },
        cohort,
        "train",
      );
      if (!pick) {
        const groupLabels = FIGURE3_GROUPS.flatMap((g) => g.labels);
        const single = singleLabels(rows.labels).map((l) => (l !== null && groupLabels.includes(l) ? l : null));
        const candidates = single.flatMap((l, i) => (l === null ? [] : [i]));
        const order = new Rng(this.config.seed).fork("tsne-sample").permutation(candidates.length);
        pick = Int32Array.from(
          Array.from(order.subarray(0, Math.min(t.maxPoints, candidates.length)), (k) => candidates[k]),
        ).sort();
        labels = Array.from(pick, (i) => single[i]);
      }
      if (pick.length <= t.perplexity * 3) return undefined;
      models.push({
        name: m.name,
        xy: await tsne(takeRows(x.data, x.dims, pick), {
          dims: x.dims,
          perplexity: t.perplexity,
          seed: this.config.seed,
        }),
      });
    }
    return tsneFigure({ models, labels: labels! });
  }

  /** Low-data fine-tuning of a model's encoder on fractions of the training patients. */
  async finetune(name: string): Promise<FinetuneResult> {
    const f = this.config.finetune;
    const r = await runFinetune({
      encoder: await this.encoder(name),
      cohort: await this.cohort(),
      cache: await this.cache(),
      view: this.evalView(),
      fractions: f.fractions,
      subsets: f.subsets,
      maxEpochs: f.maxEpochs,
      patience: f.patience,
      n: this.config.probe.bootstrap,
      seed: this.config.seed,
    });
    const rows = r.fractions.map((x) => ({
      fraction: x.fraction,
      best: x.best,
      auroc: x.report.macro.auroc,
      auprc: x.report.macro.auprc,
    }));
    this.folder.writeJson(path.join("models", name, "finetune.json"), rows);
    for (const row of rows) this.folder.appendMetric({ stage: "finetune", model: name, ...row });
    return r;
  }

  /** Every stage, then report.html: the whole study. */
  async run(): Promise<StudyResults> {
    for (const m of this.config.models) await this.probe(m.name);
    const comparisons = await this.comparisons();
    const table = await this.table();
    const probes = await Promise.all(this.config.models.map((m) => this.probe(m.name)));
    const external = await this.externalTable();
    const file = await this.report(table, comparisons, external);
    return { table, comparisons, probes, external, report: file };
  }

  /** report.html: cohort, EHR distributions, loss curves, results with CIs and tests, external validation, t-SNE. No ids. */
  async report(table?: ResultsTable, comparisons?: ModelComparison[], external?: ResultsTable): Promise<string> {
    const config = this.config;
    const input: StudyReportInput = {
      config,
      pretrain: this.pretrainSettings(),
      backend: await backend.ensure(),
      cohort: await this.cohort(),
      losses: config.models.map((m) => ({ model: m.name, loss: this.history(m.name)?.loss })),
      table: table ?? (await this.table()),
      comparisons: comparisons ?? (await this.comparisons()),
      probes: await Promise.all(config.models.map((m) => this.probe(m.name))),
      tsne: await this.tsneFigure(),
      external: external ?? (await this.externalTable()),
    };
    return writeReport({
      title: studyReportTitle(config),
      file: this.folder.file("report.html"),
      sections: studyReportSections(input),
    });
  }

  /** Frees the encoders, closes the image cache and releases the run folder. */
  async close(): Promise<void> {
    for (const e of this.encoders.values()) e.dispose();
    this.encoders.clear();
    if (this.cachePromise) (await this.cachePromise).close();
    // A dataset that failed to load has no cache to close (its error has been thrown already).
    for (const data of this.externalSets.values())
      await data.then(
        (d) => d.cache.close(),
        () => undefined,
      );
    this.externalSets.clear();
    this.folder.unlock();
  }
}

/** A stored probe with its per-label accessor. */
function withLabels(s: ProbeSummary): StudyProbe {
  return { ...s, label: (label) => labelResult({ perLabel: s.perLabel, ...s.test }, label) };
}

/** Test labels and scores as plain arrays, as probe.json and external-*.json keep them. */
function storedTest(t: EvalReport["test"]): ProbeSummary["test"] {
  return { names: [...t.yTrue.names], yTrue: Array.from(t.yTrue.values), yScore: Array.from(t.yScore.values) };
}

function scored(p: { test: ProbeSummary["test"] }): {
  yTrue: { names: string[]; values: number[] };
  yScore: { names: string[]; values: number[] };
} {
  return {
    yTrue: { names: p.test.names, values: p.test.yTrue },
    yScore: { names: p.test.names, values: p.test.yScore },
  };
}
