/**
 * pretrain({ cohort, features, ... }) end to end on phantoms: synthetic MIMIC tables and phantom
 * radiographs on disk, the cohort built from them, the image cache built by pretrain, EHR features
 * from the cohort's feature sets, checkpoints and resume.
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as backend from "../../src/backend";
import { build } from "../../src/cohort/build";
import type { Cohort } from "../../src/cohort/types";
import { openCache } from "../../src/images/cache";
import { generate } from "../../src/synth";
import { cacheSource, cohortSource } from "../../src/train/data";
import { pretrain } from "../../src/train/pretrain";
import { InputError } from "../../src/util/errors";
import { flatState } from "./support";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-pretrain-cohort-"));
let cohort: Cohort;

/** A tiny model on 32 px views (8 px patches) and 16 px focal views of a 36 px cache. */
const RUN = {
  dim: 16,
  layers: 2,
  heads: 2,
  patch: 8,
  imageSize: 32,
  focalSize: 16,
  focalViews: 2,
  numPrototypes: 16,
  projHidden: 32,
  ehrDim: 8,
  batchSize: 8,
  epochs: 2,
  lr: 1e-3,
  cacheShortSide: 36,
  quiet: true,
};

before(async () => {
  await backend.init({ quiet: true });
  const data = await generate({
    dir: path.join(tmp, "synth"),
    patients: 14,
    images: true,
    imageLongSide: 44,
    seed: 3,
    quiet: true,
  });
  cohort = await build({ mimicCxr: data.mimicCxr, mimicIv: data.mimicIv, quiet: true });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("pretrain on the cohort's pretraining split with socio-norm EHR: cache built, checkpoint and encoder written, resume exact", async () => {
  const dir = path.join(tmp, "run");
  const images = cohort.split("pretrain").numRows();
  assert.ok(images >= 16, `${images} pretraining images`);
  const steps: number[] = [];
  const r = await pretrain({
    ...RUN,
    cohort,
    features: "socio-norm",
    dir,
    checkpointEvery: 2,
    callbacks: {
      onStep: ({ step }) => {
        steps.push(step);
      },
    },
  });
  const perEpoch = Math.floor(images / 8) + (images % 8 >= 2 ? 1 : 0);
  assert.equal(r.steps, 2 * perEpoch);
  assert.equal(steps.length, r.steps);
  assert.equal(r.config.ehrIn, 3, "socio-norm = male, female, age_norm");
  assert.ok(r.history.loss.every(Number.isFinite));
  assert.equal(openCache(path.join(dir, "image-cache")).size, images, "the cache holds the pretraining split");
  assert.ok(fs.existsSync(path.join(dir, "encoder.safetensors")));
  // Resuming a finished run changes nothing.
  const again = await pretrain({ ...RUN, cohort, features: "socio-norm", dir, resume: true });
  assert.equal(again.resumedFrom, r.steps);
  assert.deepEqual(flatState(again.model.state()), flatState(r.model.state()));
  r.model.dispose();
  again.model.dispose();
});

test("features: [] is vanilla MSN; an unknown feature and a mismatching ehrIn are refused before any image is read", async () => {
  const v = await pretrain({ ...RUN, epochs: 1, cohort, features: [], dir: path.join(tmp, "vanilla") });
  assert.equal(v.config.ehrIn, 0);
  assert.ok(!v.model.namedParams().some(([n]) => n.startsWith("f_ehr")));
  v.model.dispose();
  const untouched = path.join(tmp, "never");
  await assert.rejects(
    pretrain({ ...RUN, cohort, features: ["age_norm", "shoe_size"], dir: untouched }),
    (e: unknown) => e instanceof InputError && /features: expected a feature set .* found "shoe_size"/.test(e.message),
  );
  await assert.rejects(
    pretrain({ ...RUN, cohort, features: ["age_norm", "sex"], ehrIn: 2, dir: untouched }),
    /ehrIn: expected 3, the width of the features \["age_norm","sex"\], found 2/,
  );
  await assert.rejects(
    pretrain({ ...RUN, cohort, imageSize: 30, dir: untouched }),
    /imageSize: expected a multiple of the patch size 8, found 30/,
  );
  await assert.rejects(pretrain({ ...RUN, cohort, batchSize: 1, dir: untouched }), /batchSize: expected at least 2/);
  await assert.rejects(
    pretrain({ ...RUN, cohort, source: cacheSource as never, dir: untouched }),
    /expected either `cohort` or `source`, found both/,
  );
  await assert.rejects(pretrain({ ...RUN, cohort, lrr: 1 } as never), /lrr: expected a pretraining option/);
  assert.ok(!fs.existsSync(untouched), "nothing was built for a refused configuration");
});

test("cohortSource: EHR rows follow their images; batches repeat exactly for the same (epoch, index)", async () => {
  const cache = openCache(path.join(tmp, "run", "image-cache"));
  const src = cohortSource(cohort, cache, {
    features: "socio-norm",
    batchSize: 5,
    seed: 7,
    views: { randomSize: 32, focalSize: 16, focalViews: 2, channels: 3 },
  });
  assert.equal(src.missing, 0);
  assert.deepEqual(src.ehrFeatures, ["male", "female", "age_norm"]);
  const a = await src.batch(1, 2);
  const b = await src.batch(1, 2);
  const c = await src.batch(1, 3);
  assert.deepEqual(a.target.shape, [5, 32, 32, 3]);
  assert.deepEqual(a.focal.shape, [10, 16, 16, 3]);
  assert.deepEqual(a.target.dataSync(), b.target.dataSync());
  assert.deepEqual(a.ehr!.dataSync(), b.ehr!.dataSync());
  assert.notDeepEqual(a.target.dataSync(), c.target.dataSync());
  // Each EHR row is a real cohort row: one-hot sex and age_norm in [0, 1].
  const rows = a.ehr!.arraySync() as number[][];
  for (const [male, female, age] of rows) {
    assert.equal(male + female, 1);
    assert.ok(age >= 0 && age <= 1);
  }
  for (const t of [a, b, c]) for (const x of Object.values(t)) x.dispose();
  cache.close();
});
