/**
 * `npm run bench -- demo <label>[:key=value,...] ...`: the measurements behind docs/demo-study.md.
 *
 * Each experiment pretrains on the demo's cohort (DEMO_CONFIG's data, cohort and cache, made once in
 * runs/demo-study) with DEMO_CONFIG's pretraining settings changed as given (`k128:numPrototypes=128,lr=1e-3`),
 * records the loss and the per-epoch diagnostics (train/diagnostics.ts), and probes the target encoder
 * with the demo's probe (the converged logistic regression; `probe=authors`: the authors' Adam runs, as
 * the measurements before it; a reference is compared only with encoders probed the same way). `init=random` probes an untrained encoder instead (its scores are kept as a
 * reference, under its label); `anchor=1` also probes the anchor encoder of the same run. Settings are
 * judged on the validation split: its macro AUROC and DeLong's test against the reference encoder
 * `ref=<label>` (default `random`, so measure `random:init=random` first). The test split is
 * reported only with `test=1` (for settings already chosen on validation). Every result is appended
 * to bench/results/demo.json as soon as it is measured.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { compare } from "../src/eval/compare";
import { applyHead, probe } from "../src/eval/probe";
import type { NamedMatrix } from "../src/util/matrix";
import { VisionTransformer } from "../src/model/vit";
import { DEMO_CONFIG, Study } from "../src/pipeline";
import { pretrainConfig, type PretrainConfig } from "../src/train/config";
import { vitOptionsOf } from "../src/train/msnMethod";
import { pretrainOnSource } from "../src/train/pretrain";
import { cohortSource } from "../src/train/data";
import type { BatchSource, PretrainBatch } from "../src/train/source";
import { Rng } from "../src/util/random";

/** ImageNet's grey statistics, the views' normalisation (channel 0 replicated). */
const MEAN = 0.485;
const STD = 0.229;

/** Each view of `t` [N, S, S, C] (normalised) with its own brightness, contrast and gamma, back in normalised units. */
function jitterViews(t: tf.Tensor4D, strength: number, rng: Rng): tf.Tensor4D {
  const n = t.shape[0];
  const draw = (f: () => number) => tf.tensor4d(Float32Array.from({ length: n }, f), [n, 1, 1, 1]);
  return tf.tidy(() => {
    const x = tf.clipByValue(tf.add(tf.mul(t, STD), MEAN), 1e-4, 1);
    const gamma = draw(() => Math.exp(rng.range(-strength / 2, strength / 2)));
    const bright = tf.mul(
      tf.pow(x, gamma),
      draw(() => rng.range(1 - strength, 1 + strength)),
    );
    const mean = tf.mean(bright, [1, 2, 3], true);
    const contrast = tf.add(
      tf.mul(
        tf.sub(bright, mean),
        draw(() => rng.range(1 - strength, 1 + strength)),
      ),
      mean,
    );
    return tf.div(tf.sub(tf.clipByValue(contrast, 0, 1), MEAN), STD) as tf.Tensor4D;
  });
}

/** `source` with every view grey-level jittered, drawn from (seed, epoch, index) alone. */
function jittered(source: BatchSource, strength: number, seed: number): BatchSource {
  return {
    batchesPerEpoch: source.batchesPerEpoch,
    ehrFeatures: source.ehrFeatures,
    signature: `${source.signature} jitter ${strength}`,
    async batch(epoch, index) {
      const b: PretrainBatch = await source.batch(epoch, index);
      const rng = new Rng(seed).fork(`jitter:${epoch}:${index}`);
      const out = {
        ...b,
        target: jitterViews(b.target, strength, rng),
        anchor: jitterViews(b.anchor, strength, rng),
        focal: jitterViews(b.focal, strength, rng),
      };
      tf.dispose([b.target, b.anchor, b.focal]);
      return out;
    },
  };
}

const RESULTS = path.join(__dirname, "..", "..", "bench", "results", "demo.json");
const SCORES = path.join(__dirname, "..", "..", "runs", "demo-study", "scores");

interface Spec {
  label: string;
  pretrain: Partial<PretrainConfig>;
  random: boolean;
  anchor: boolean;
  test: boolean;
  ref: string;
  jitter: number;
  /** The probe: "logistic" (the demo's, DEMO_CONFIG.probe.logisticC) or "authors" (Adam runs, best epoch). */
  probe: "logistic" | "authors";
  /** Crop area fractions of the target and anchor views, and of the focal views ("0.3/1": the authors'). */
  scales: { randomScale?: [number, number]; focalScale?: [number, number] };
}

/** `label:key=value,...` with numbers and words as values; init, anchor and test are the script's own keys. */
function parseSpec(arg: string): Spec {
  const [label, rest = ""] = arg.split(":");
  const spec: Spec = {
    label,
    pretrain: { ...DEMO_CONFIG.pretrain },
    random: false,
    anchor: false,
    test: false,
    ref: "random",
    jitter: 0,
    probe: "logistic",
    scales: {},
  };
  for (const kv of rest.split(",").filter((s) => s !== "")) {
    const [k, v] = kv.split("=");
    const value = Number.isNaN(Number(v)) ? v : Number(v);
    if (k === "init") spec.random = v === "random";
    else if (k === "anchor") spec.anchor = v === "1";
    else if (k === "test") spec.test = v === "1";
    else if (k === "ref") spec.ref = v;
    else if (k === "jitter") spec.jitter = Number(v);
    else if (k === "probe") spec.probe = v === "authors" ? "authors" : "logistic";
    else if (k === "randomScale" || k === "focalScale") spec.scales[k] = v.split("/").map(Number) as [number, number];
    else (spec.pretrain as Record<string, unknown>)[k] = value;
  }
  pretrainConfig(spec.pretrain); // every mistake named before any work
  return spec;
}

interface Scored {
  yTrue: NamedMatrix<ArrayLike<number>>;
  yScore: NamedMatrix<ArrayLike<number>>;
}

const plain = (s: Scored) => ({
  yTrue: { names: s.yTrue.names, values: Array.from(s.yTrue.values) },
  yScore: { names: s.yScore.names, values: Array.from(s.yScore.values) },
});

/** The study's probe of `encoder`; validation (and, if asked, test) scores of its chosen head. */
async function probeEncoder(study: Study, encoder: VisionTransformer, test: boolean, kind: Spec["probe"]) {
  const r = await probe({
    encoder,
    cohort: await study.cohort(),
    cache: await study.cache(),
    view: study.evalView(),
    embeddingsDir: false,
    maxEpochs: study.config.probe.maxEpochs,
    patience: study.config.probe.patience,
    logisticC: kind === "logistic" ? study.config.probe.logisticC : undefined,
    n: study.config.probe.bootstrap,
    seed: study.config.seed,
    quiet: true,
  });
  const validate: Scored = {
    yTrue: r.labels.validate,
    yScore: { ...r.labels.validate, values: await applyHead(r.head, r.embeddings.validate) },
  };
  return {
    valAuroc: r.chosen.valAuroc,
    validate,
    test: test ? { auroc: r.macro.auroc, scores: r.test as Scored } : undefined,
  };
}

type ProbeOutcome = Awaited<ReturnType<typeof probeEncoder>>;

/** DeLong p (and difference) of `ours` against the reference encoder's stored scores on the same split. */
function against(ref: string, ours: Scored, split: "validate" | "test") {
  const file = path.join(SCORES, `${ref}-${split}.json`);
  if (!fs.existsSync(file)) return undefined;
  const base = JSON.parse(fs.readFileSync(file, "utf8"));
  const c = compare(base, plain(ours), { n: 1000, seed: 1, quiet: true });
  const d = c.macro.auroc;
  return { diff: d.diff, lower: d.lower, upper: d.upper, delongP: d.delong?.p ?? null };
}

function summarise(p: ProbeOutcome, ref: string) {
  return {
    ref,
    valAuroc: p.valAuroc,
    valVsRef: against(ref, p.validate, "validate"),
    test: p.test && { auroc: p.test.auroc, vsRef: against(ref, p.test.scores, "test") },
  };
}

function append(entry: Record<string, unknown>): void {
  const all = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, "utf8")) : [];
  all.push(entry);
  fs.writeFileSync(RESULTS, JSON.stringify(all, null, 1) + "\n");
}

async function experiment(study: Study, spec: Spec): Promise<void> {
  const t0 = Date.now();
  const cfg = pretrainConfig(spec.pretrain);
  const entry: Record<string, unknown> = {
    label: spec.label,
    probe: spec.probe,
    pretrain: spec.pretrain,
    jitter: spec.jitter,
    scales: spec.scales,
    at: new Date().toISOString(),
  };
  if (spec.random) {
    const vit = new VisionTransformer({ ...vitOptionsOf(cfg), seed: cfg.seed });
    const p = await probeEncoder(study, vit, spec.test, spec.probe);
    vit.dispose();
    fs.mkdirSync(SCORES, { recursive: true });
    // A reference's first measurement stays the reference of every later DeLong test against it.
    const store = (split: "validate" | "test", s: Scored) => {
      const file = path.join(SCORES, `${spec.label}-${split}.json`);
      if (!fs.existsSync(file)) fs.writeFileSync(file, JSON.stringify(plain(s)));
    };
    store("validate", p.validate);
    if (p.test) store("test", p.test.scores);
    Object.assign(entry, { init: "random", target: summarise(p, spec.ref) });
  } else {
    const epochs: Record<string, number>[] = [];
    const data = cohortSource(await study.cohort(), await study.cache(), {
      features: [],
      batchSize: cfg.batchSize,
      seed: cfg.seed,
      views: {
        randomSize: cfg.imageSize,
        focalSize: cfg.focalSize,
        focalViews: cfg.focalViews,
        channels: cfg.channels as 1 | 3,
        ...spec.scales,
      },
    });
    const source = spec.jitter > 0 ? jittered(data, spec.jitter, cfg.seed) : data;
    const r = await pretrainOnSource(spec.pretrain, source, {
      quiet: true,
      callbacks: {
        onEpochEnd: ({ epoch, meanLoss, diagnostics }) => {
          epochs.push({ epoch: epoch + 1, meanLoss, ...diagnostics });
          console.log(`  ${spec.label} epoch ${epoch + 1}: ${JSON.stringify(epochs[epochs.length - 1])}`);
        },
      },
    });
    const pretrainSeconds = r.seconds;
    Object.assign(entry, { steps: r.steps, pretrainSeconds, logK: Math.log(cfg.numPrototypes), epochs });
    entry.target = summarise(await probeEncoder(study, r.encoder, spec.test, spec.probe), spec.ref);
    if (spec.anchor)
      entry.anchor = summarise(await probeEncoder(study, r.model.anchor, spec.test, spec.probe), spec.ref);
    r.model.dispose();
  }
  entry.seconds = (Date.now() - t0) / 1000;
  append(entry);
  console.log(JSON.stringify(entry, (k, v) => (k === "epochs" ? undefined : v)));
}

export async function run(args: string[]): Promise<void> {
  if (args.length === 0) {
    console.error(
      "usage: npm run bench -- demo <label>[:key=value,...] ... (e.g. random:init=random base k128:numPrototypes=128)",
    );
    process.exitCode = 2;
    return;
  }
  const specs = args.map(parseSpec);
  // Experiments run side by side: they only read the folder's cohort and image cache, made by the first.
  const study = Study.open(
    { ...DEMO_CONFIG, name: "demo-study", runsDir: path.join(__dirname, "..", "..", "runs") },
    undefined,
    { lockFolder: false },
  );
  try {
    await study.cache();
    for (const spec of specs) await experiment(study, spec);
  } finally {
    await study.close();
    tf.disposeVariables();
  }
}
