import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { writePhantoms, type PhantomSpec } from "../../src/synth/phantoms";
import { renderPhantom, projectionOf } from "../../src/synth/phantom/render";
import { CHEXPERT_LABELS, type ChexpertLabel } from "../../src/util/labels";
import { InputError } from "../../src/util/errors";
import { Rng } from "../../src/util/random";

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-phantoms-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const FINDINGS = CHEXPERT_LABELS.filter((l) => l !== "No Finding");

function spec(over: Partial<PhantomSpec> = {}): PhantomSpec {
  return {
    dicomId: "d",
    file: "",
    positive: [],
    uncertain: [],
    view: "PA",
    position: "Erect",
    sex: "M",
    age: 55,
    icu: false,
    seed: 1,
    ...over,
  };
}

/** Mean |a - b| over same-sized images. */
function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

test("rendering is deterministic, sized by the long side, and the seed matters", () => {
  const a = renderPhantom(spec({ seed: 3 }), 200),
    b = renderPhantom(spec({ seed: 3 }), 200),
    c = renderPhantom(spec({ seed: 4 }), 200);
  assert.deepEqual(a, b);
  assert.equal(a.height, 200);
  assert.ok(a.width >= 160 && a.width <= 176, `width ${a.width}`);
  assert.equal(a.data.length, a.width * a.height);
  // Another seed: another patient (the aspect ratio is part of the anatomy) and another film.
  const w = Math.min(a.width, c.width);
  let d = 0;
  for (let y = 0; y < 200; y++)
    for (let x = 0; x < w; x++) d += Math.abs(a.data[y * a.width + x] - c.data[y * c.width + x]);
  assert.ok(d / (200 * w) > 3, `mean difference ${d / (200 * w)}`);
  // Not a blank or saturated picture: dark lungs and bright mediastinum both present.
  const sorted = Array.from(a.data).sort((x, y) => x - y);
  assert.ok(
    sorted[Math.floor(0.1 * sorted.length)] < 90 && sorted[Math.floor(0.9 * sorted.length)] > 130,
    `p10 ${sorted[Math.floor(0.1 * sorted.length)]}, p90 ${sorted[Math.floor(0.9 * sorted.length)]}`,
  );
});

test("writePhantoms writes one-channel JPEGs at the given paths, identically in one thread or several", async () => {
  const specs = Array.from({ length: 20 }, (_, i) =>
    spec({
      dicomId: `img${i}`,
      file: path.join(dir, "one", "files", "p10", `p1000000${i % 2}`, "s5", `img${i}.jpg`),
      seed: 10 + i,
      view: ["PA", "AP", "LATERAL", "LL"][i % 4],
    }),
  );
  const r1 = await writePhantoms(specs, { longSide: 96, concurrency: 1, quiet: true });
  assert.equal(r1.written, 20);
  const bytes1 = specs.map((s) => fs.readFileSync(s.file));
  const specs2 = specs.map((s) => ({
    ...s,
    file: s.file.replace(`${path.sep}one${path.sep}`, `${path.sep}two${path.sep}`),
  }));
  await writePhantoms(specs2, { longSide: 96, concurrency: 2, quiet: true });
  specs2.forEach((s, i) =>
    assert.ok(fs.readFileSync(s.file).equals(bytes1[i]), `image ${i} differs between 1 and 2 threads`),
  );
  const meta = await sharp(specs[0].file).metadata();
  assert.equal(meta.format, "jpeg");
  assert.equal(meta.channels, 1);
  assert.equal(meta.height, 96);
  // The JPEG holds the rendered picture.
  const raw = await sharp(specs[0].file).toColourspace("b-w").raw().toBuffer();
  assert.ok(meanAbsDiff(new Uint8Array(raw), renderPhantom(specs[0], 96).data) < 3);
});

test("writePhantoms: bad options are InputErrors; a failed write names the file", async () => {
  await assert.rejects(
    writePhantoms([], { longSide: 8 }),
    (e: unknown) => e instanceof InputError && /longSide: expected an integer of at least 16, found 8/.test(e.message),
  );
  await assert.rejects(writePhantoms([], { concurrency: 0 }), /concurrency: expected a positive integer/);
  const blocker = path.join(dir, "a-file");
  fs.writeFileSync(blocker, "x");
  const specs = Array.from({ length: 24 }, (_, i) => spec({ file: path.join(dir, "ok", `i${i}.jpg`), seed: i }));
  specs[17] = spec({ file: path.join(blocker, "sub", "x.jpg") });
  await assert.rejects(
    writePhantoms(specs, { longSide: 32, concurrency: 2, quiet: true }),
    /writing the phantom .*a-file\/sub\/x\.jpg failed/,
  );
});

test("the view code picks the projection", () => {
  assert.deepEqual(projectionOf("PA"), { projection: "frontal", ap: false, leftLateral: false });
  assert.deepEqual(projectionOf("AP AXIAL"), { projection: "frontal", ap: true, leftLateral: false });
  assert.deepEqual(projectionOf("LL"), { projection: "lateral", ap: false, leftLateral: true });
  assert.deepEqual(projectionOf("XTABLE LATERAL"), { projection: "lateral", ap: false, leftLateral: false });
  assert.deepEqual(projectionOf(""), { projection: "frontal", ap: false, leftLateral: false });
});

/** Signed change (after - before) times `sign` inside a box of fractions of the image: its mean, and how many pixels changed by 10+ grey levels. */
function change(
  a: { width: number; height: number; data: Uint8Array },
  b: Uint8Array,
  box: [number, number, number, number],
  sign: number,
): { mean: number; strong: number } {
  const [x0, y0, x1, y1] = box;
  const d: number[] = [];
  for (let y = Math.floor(y0 * a.height); y < y1 * a.height; y++) {
    for (let x = Math.floor(x0 * a.width); x < x1 * a.width; x++)
      d.push(sign * (b[y * a.width + x] - a.data[y * a.width + x]));
  }
  return { mean: d.reduce((u, v) => u + v, 0) / d.length, strong: d.filter((v) => v >= 10).length };
}

test("each finding changes the picture, where and how a radiologist would look for it; uncertain ones less", () => {
  // [label, region (x0, y0, x1, y1 as fractions), expected sign of the change there]
  const expectations: [ChexpertLabel, [number, number, number, number], 1 | -1][] = [
    ["Cardiomegaly", [0.25, 0.4, 0.8, 0.7], 1],
    ["Enlarged Cardiomediastinum", [0.3, 0.1, 0.7, 0.4], 1],
    ["Pleural Effusion", [0, 0.5, 1, 0.8], 1],
    ["Edema", [0.15, 0.25, 0.85, 0.6], 1],
    ["Consolidation", [0, 0.1, 1, 0.8], 1],
    ["Pneumonia", [0, 0.1, 1, 0.8], 1],
    ["Lung Opacity", [0, 0.1, 1, 0.8], 1],
    ["Lung Lesion", [0, 0.1, 1, 0.8], 1],
    ["Atelectasis", [0, 0.35, 1, 0.8], 1],
    ["Pleural Other", [0, 0.1, 1, 0.8], 1],
    ["Pneumothorax", [0, 0.05, 1, 0.8], -1],
    ["Support Devices", [0, 0, 1, 1], 1],
  ];
  for (const [label, box, sign] of expectations) {
    let moved = 0,
      faint = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const base = renderPhantom(spec({ seed }), 128);
      const withIt = renderPhantom(spec({ seed, positive: [label] }), 128);
      const unsure = renderPhantom(spec({ seed, uncertain: [label] }), 128);
      // In the expected direction on average, and strongly somewhere (small findings are local).
      const c = change(base, withIt.data, box, sign);
      assert.ok(
        c.mean > 0 && c.strong >= 8,
        `${label} (seed ${seed}): change ${c.mean.toFixed(2)} on average, ${c.strong} pixels changed by 10+`,
      );
      moved += meanAbsDiff(base.data, withIt.data);
      faint += meanAbsDiff(base.data, unsure.data);
    }
    assert.ok(moved / 6 > 0.1, `${label} barely changes the image (${(moved / 6).toFixed(3)})`);
    assert.ok(
      faint < moved,
      `${label}: the uncertain version is not fainter (${faint.toFixed(2)} vs ${moved.toFixed(2)})`,
    );
  }
  // A fracture is small: it changes a few ribs, nothing else.
  for (let seed = 1; seed <= 3; seed++) {
    const base = renderPhantom(spec({ seed }), 256),
      broken = renderPhantom(spec({ seed, positive: ["Fracture"] }), 256);
    const changed = base.data.reduce((n, v, i) => n + (Math.abs(v - broken.data[i]) > 8 ? 1 : 0), 0);
    assert.ok(changed > 20 && changed < 0.05 * base.data.length, `fracture (seed ${seed}) changed ${changed} pixels`);
  }
  // "No Finding" draws nothing: the picture is the same as with no labels.
  assert.deepEqual(renderPhantom(spec({ positive: ["No Finding"] }), 96).data, renderPhantom(spec(), 96).data);
});

/**
 * Learnability: a linear classifier (ridge regression on standardised 8x8-pooled pixels of 128 px
 * phantoms, 5-fold cross-validation) predicts labels and EHR fields from the pictures alone.
 */
test("labels and EHR fields are learnable from the pixels by a linear classifier", () => {
  const N = 800,
    SIDE = 128,
    POOL = 8;
  const rng = new Rng(7);
  const specs: PhantomSpec[] = [];
  for (let i = 0; i < N; i++) {
    const view = ["PA", "AP", "LATERAL", "LL"][rng.choice([0.4, 0.3, 0.2, 0.1])];
    const positive: ChexpertLabel[] = [];
    if (!rng.bernoulli(0.3)) {
      const k = 1 + rng.int(3);
      while (positive.length < k) {
        const l = FINDINGS[rng.int(FINDINGS.length)];
        if (!positive.includes(l)) positive.push(l);
      }
    }
    specs.push(
      spec({
        positive,
        view,
        position: rng.bernoulli(view === "AP" ? 0.6 : 0.1) ? "Recumbent" : "Erect",
        sex: rng.bernoulli(0.5) ? "M" : "F",
        age: rng.range(20, 90),
        icu: rng.bernoulli(0.3),
        seed: 1000 + i,
      }),
    );
  }
  const X = specs.map((s) => pooled(renderPhantom(s, SIDE), POOL));
  const D = Math.min(...X.map((f) => f.length));
  standardise(X, D);
  const targets: Record<string, number[]> = {};
  for (const l of CHEXPERT_LABELS)
    targets[l] = specs.map((s) => (l === "No Finding" ? +(s.positive.length === 0) : +s.positive.includes(l)));
  targets.lateral = specs.map((s) => +(projectionOf(s.view).projection === "lateral"));
  targets["AP vs PA"] = specs.map((s) => (s.view === "AP" ? 1 : s.view === "PA" ? 0 : -1)); // -1: not scored
  targets["sex M"] = specs.map((s) => +(s.sex === "M"));
  targets.recumbent = specs.map((s) => +(s.position === "Recumbent"));
  targets.icu = specs.map((s) => +s.icu);
  const ages = specs.map((s) => s.age);
  const pred = crossValidatedRidge(X, D, { ...targets, age: ages }, 5, 0.1);
  const auc: Record<string, number> = {};
  for (const k of Object.keys(targets)) auc[k] = auroc(targets[k], pred[k]);
  const r = correlation(ages, pred.age);
  console.log(
    Object.entries(auc)
      .map(([k, v]) => `${k}: AUROC ${v.toFixed(3)}`)
      .join("\n") + `\nage: r ${r.toFixed(3)}`,
  );

  // Findings with a global signature are learnable linearly; small ones at random places (a nodule,
  // a fracture) need a model that can look anywhere: docs/phantoms.md lists which is which.
  const labelAucs = CHEXPERT_LABELS.map((l) => auc[l]);
  assert.ok(
    labelAucs.filter((a) => a >= 0.65).length >= 9,
    `only ${labelAucs.filter((a) => a >= 0.65).length} of 14 labels reach AUROC 0.65`,
  );
  for (const [k, min] of [
    ["Cardiomegaly", 0.75],
    ["Enlarged Cardiomediastinum", 0.85],
    ["Edema", 0.85],
    ["Pleural Effusion", 0.8],
    ["No Finding", 0.65],
    ["Support Devices", 0.65],
  ] as const) {
    assert.ok(auc[k] >= min, `${k}: AUROC ${auc[k].toFixed(3)} < ${min}`);
  }
  // EHR fields, as docs/phantoms.md describes: view and position strongly, sex via soft tissue, ICU via monitoring leads, age via bone.
  for (const [k, min] of [
    ["lateral", 0.98],
    ["AP vs PA", 0.85],
    ["sex M", 0.85],
    ["recumbent", 0.8],
    ["icu", 0.6],
  ] as const) {
    assert.ok(auc[k] >= min, `${k}: AUROC ${auc[k].toFixed(3)} < ${min}`);
  }
  assert.ok(r >= 0.3, `age: r ${r.toFixed(3)}`);
});

/** Sums of POOL x POOL blocks (downsampling). */
function pooled(img: { width: number; height: number; data: Uint8Array }, pool: number): Float64Array {
  const w = Math.floor(img.width / pool),
    h = Math.floor(img.height / pool);
  const f = new Float64Array(w * h);
  for (let y = 0; y < h * pool; y++)
    for (let x = 0; x < w * pool; x++)
      f[Math.floor(y / pool) * w + Math.floor(x / pool)] += img.data[y * img.width + x];
  return f;
}

function standardise(X: Float64Array[], D: number): void {
  for (let j = 0; j < D; j++) {
    let m = 0,
      q = 0;
    for (const f of X) m += f[j] / X.length;
    for (const f of X) q += (f[j] - m) ** 2 / X.length;
    const sd = Math.sqrt(q) || 1;
    for (const f of X) f[j] = (f[j] - m) / sd;
  }
}

/**
 * Ridge regression with a linear kernel (dual form: one Cholesky factor per fold serves every
 * target), k-fold; returns out-of-fold predictions. Targets of -1 are left out of the fit.
 */
function crossValidatedRidge(
  X: Float64Array[],
  D: number,
  targets: Record<string, number[]>,
  folds: number,
  lambda: number,
): Record<string, Float64Array> {
  const N = X.length;
  const K = Array.from({ length: N }, () => new Float64Array(N));
  for (let i = 0; i < N; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += X[i][d] * X[j][d];
      K[i][j] = K[j][i] = s / D;
    }
  }
  const pred: Record<string, Float64Array> = {};
  for (const k of Object.keys(targets)) pred[k] = new Float64Array(N);
  for (let f = 0; f < folds; f++) {
    const train: number[] = [],
      test: number[] = [];
    for (let i = 0; i < N; i++) (i % folds === f ? test : train).push(i);
    const L = cholesky(train.map((i) => Float64Array.from(train, (j) => K[i][j] + (i === j ? lambda : 0))));
    for (const [k, y] of Object.entries(targets)) {
      const scored = train.filter((i) => y[i] !== -1 || k === "age");
      const mean = scored.reduce((a, i) => a + y[i], 0) / scored.length;
      const alpha = cholSolve(
        L,
        Float64Array.from(train, (i) => (y[i] === -1 && k !== "age" ? 0 : y[i] - mean)),
      );
      for (const i of test) {
        let s = mean;
        train.forEach((j, t) => (s += K[i][j] * alpha[t]));
        pred[k][i] = s;
      }
    }
  }
  return pred;
}

function cholesky(A: Float64Array[]): Float64Array[] {
  const n = A.length;
  const L = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  }
  return L;
}

function cholSolve(L: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length,
    y = new Float64Array(n),
    x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
    y[i] = s / L[i][i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k][i] * x[k];
    x[i] = s / L[i][i];
  }
  return x;
}

/** AUROC by ranks (ties get their mean rank); labels of -1 are left out. */
function auroc(y: number[], s: Float64Array): number {
  const idx = y
    .map((_, i) => i)
    .filter((i) => y[i] !== -1)
    .sort((a, b) => s[a] - s[b]);
  const ranks = new Float64Array(y.length);
  for (let k = 0; k < idx.length;) {
    let e = k;
    while (e + 1 < idx.length && s[idx[e + 1]] === s[idx[k]]) e++;
    for (let t = k; t <= e; t++) ranks[idx[t]] = (k + e) / 2 + 1;
    k = e + 1;
  }
  let pos = 0,
    neg = 0,
    sum = 0;
  for (const i of idx) {
    if (y[i] === 1) {
      pos++;
      sum += ranks[i];
    } else neg++;
  }
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}

function correlation(a: number[], b: Float64Array): number {
  const n = a.length;
  const ma = a.reduce((x, y) => x + y, 0) / n,
    mb = b.reduce((x, y) => x + y, 0) / n;
  let s = 0,
    sa = 0,
    sb = 0;
  for (let i = 0; i < n; i++) {
    s += (a[i] - ma) * (b[i] - mb);
    sa += (a[i] - ma) ** 2;
    sb += (b[i] - mb) ** 2;
  }
  return s / Math.sqrt(sa * sb);
}
