/**
 * `ehr-msn sweep --table 3` on a tiny study: every row of the paper's Table 3 (the random floor, the
 * ImageNet row from --imagenet-weights, DINO, MAE, vanilla MSN and its 13 EHR variants) pretrained
 * and probed, tabled in the paper's layout with intervals and tested against vanilla MSN.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { saveEncoder } from "../../src/model/load";
import { VisionTransformer } from "../../src/model/vit";
import { TABLE3_MODELS } from "../../src/pipeline/config";
import { listCheckpoints } from "../../src/train/checkpoint";
import { packageRoot } from "../../src/util/paths";
import { tempDir } from "../support/tempDir";

function cli(...args: string[]) {
  return spawnSync(process.execPath, [path.join(packageRoot(), "bin", "ehr-msn.js"), ...args], { encoding: "utf8" });
}

/** 60 synthetic patients, a 1-block ViT on 16 px views, one epoch, a 2-epoch probe: seconds per model. */
function tinyConfig(runsDir: string): Record<string, unknown> {
  return {
    name: "table3",
    runsDir,
    seed: 3,
    data: { synth: { patients: 60, imageLongSide: 64 } },
    cohort: { split: { validate: 0.25, test: 0.25, seed: 1 } },
    cacheShortSide: 24,
    pretrain: {
      dim: 16,
      layers: 1,
      heads: 2,
      mlpDim: 32,
      imageSize: 16,
      patch: 4,
      focalSize: 8,
      focalViews: 2,
      batchSize: 16,
      epochs: 1,
      numPrototypes: 16,
      projHidden: 32,
      projOut: 16,
      ehrDim: 8,
      dinoOutDim: 64,
      dinoHiddenDim: 32,
      dinoBottleneckDim: 16,
      maeDecoderDim: 16,
      maeDecoderLayers: 1,
      maeDecoderHeads: 2,
    },
    probe: { maxEpochs: 2, bootstrap: 50 },
    tsne: false,
  };
}

test("sweep --table 3 runs every row of Table 3 and tables them against vanilla MSN", () => {
  const dir = tempDir("table3");
  const config = path.join(dir, "tiny.json");
  fs.writeFileSync(config, JSON.stringify(tinyConfig(path.join(dir, "runs"))));
  // A weight file stands in for supervised ImageNet weights (a torchvision-layout ViT of 3 heads).
  const weights = path.join(dir, "imagenet.safetensors");
  const vit = new VisionTransformer({ dim: 24, layers: 1, heads: 3, imageSize: 16, patch: 4, seed: 9 });
  saveEncoder(vit, weights);
  vit.dispose();

  const refused = cli("sweep", "--config", config, "--imagenet-weights", weights);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /--imagenet-weights: expected --table 3 with it/);

  const r = cli("sweep", "--config", config, "--table", "3", "--imagenet-weights", weights, "--imagenet-heads", "3");
  assert.equal(r.status, 0, r.stderr);
  const run = path.join(dir, "runs", "table3");
  const lines = fs.readFileSync(path.join(run, "results.csv"), "utf8").trim().split("\n");
  assert.equal(lines[0], "Model,AUROC (CI),AUPRC (CI)");
  const rows = lines.slice(1).map((l) => l.split(",")[0]);
  assert.deepEqual(rows, ["Random", "ImageNet", "DINO", "MAE", ...TABLE3_MODELS.map((m) => m.name)]);
  assert.equal(rows.length, 18, "the paper's 17 rows and the random floor");
  for (const line of lines.slice(1))
    assert.match(line, /^[^,]+,"0\.\d{3}∗? \(0\.\d{3}, 0\.\d{3}\)","0\.\d{3}∗? \(0\.\d{3}, 0\.\d{3}\)"$/, line);
  assert.match(r.stdout, /∗ p < 0\.05 against MSN \(DeLong/, "the note names vanilla MSN as the baseline");
  const history = (name: string) =>
    JSON.parse(fs.readFileSync(path.join(run, "models", name, "history.json"), "utf8")) as { loss: number[] };
  for (const name of ["DINO", "MAE", "MSN", "MSN+age"])
    assert.ok(history(name).loss.every(Number.isFinite), `${name} was pretrained by the study`);
  const methodOf = (name: string) => {
    const last = listCheckpoints(path.join(run, "models", name)).at(-1)!;
    return JSON.parse(fs.readFileSync(path.join(last, "config.json"), "utf8")).config.method;
  };
  assert.deepEqual(["DINO", "MAE", "MSN+age"].map(methodOf), ["dino", "mae", "msn"], "each with its own method");
  const stored = JSON.parse(fs.readFileSync(path.join(run, "config.json"), "utf8"));
  assert.equal(stored.baseline, "MSN");
  assert.deepEqual(
    stored.models
      .filter((m: { method?: string }) => m.method)
      .map((m: { name: string; method: string }) => [m.name, m.method]),
    [
      ["DINO", "dino"],
      ["MAE", "mae"],
    ],
  );
  for (const name of ["Random", "ImageNet"])
    assert.equal(fs.existsSync(path.join(run, "models", name, "history.json")), false, `${name} is not pretrained`);
});
