/**
 * kill -9 at a random moment, then the same command again (issue 19, fault injection): the rerun
 * ends as an uninterrupted run does, byte for byte, and leaves no temporary file of the killed one.
 * Pretraining's kill-and-resume is test/train/resume.test.ts (SIGKILL at a random step, resumed
 * weights bit-identical); here the cohort, the image cache, and a study's probe stage, and two runs
 * of one run folder at once. Each random moment is printed, so that a failure can be replayed.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { buildCache } from "../../src/images/cache";
import { writePhantoms } from "../../src/synth/phantoms";
import { Study } from "../../src/pipeline";
import { packageRoot } from "../../src/util/paths";
import { writeHandmade } from "../cohort/handmade";
import { tempDir } from "../support/tempDir";
import { temporaries } from "./tmpfs";

const bin = path.join(packageRoot(), "bin", "ehr-msn.js");

/** Starts `args` (a node script and its arguments) in `cwd` and SIGKILLs it after `ms`; resolves when it is gone. */
function killAfter(args: string[], ms: number, cwd?: string): Promise<{ finished: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ finished: code === 0 });
    });
  });
}

const run = (args: string[], cwd?: string) => spawnSync(process.execPath, args, { cwd, encoding: "utf8" });

test("cohort --out killed at a random moment, then run again: the same CSV as an uninterrupted run", async () => {
  const { mimicCxr, mimicIv } = writeHandmade();
  const dir = tempDir("kill-cohort");
  const args = (out: string) => [
    bin,
    "cohort",
    "--mimic-cxr",
    mimicCxr,
    "--mimic-iv",
    mimicIv,
    "--quiet",
    "--out",
    out,
  ];
  const ref = run(args(path.join(dir, "ref.csv")));
  assert.equal(ref.status, 0, ref.stderr);
  const ms = 100 + Math.floor(Math.random() * 1500);
  const killed = await killAfter(args(path.join(dir, "c.csv")), ms);
  console.log(`  cohort killed after ${ms} ms${killed.finished ? " (it had finished)" : ""}`);
  const again = run(args(path.join(dir, "c.csv")));
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(fs.readFileSync(path.join(dir, "c.csv")), fs.readFileSync(path.join(dir, "ref.csv")));
});

test("an image cache build killed at a random moment, then run again: the same cache, no temporary file left", async () => {
  const dir = tempDir("kill-cache");
  const specs = Array.from({ length: 48 }, (_, i) => ({
    dicomId: `img${i}`,
    file: path.join(dir, "images", `img${i}.jpg`),
    positive: [],
    uncertain: [],
    view: "PA",
    position: "Erect",
    sex: "F" as const,
    age: 50,
    icu: false,
    seed: i,
  }));
  await writePhantoms(specs, { longSide: 128, concurrency: 1, quiet: true });
  const images = specs.map((s, i) => ({ id: s.dicomId, path: s.file, split: i % 4 === 0 ? "test" : "train" }));
  const list = path.join(dir, "images.json");
  fs.writeFileSync(list, JSON.stringify(images));
  const ref = await buildCache({ images, dir: path.join(dir, "ref"), shortSide: 64, concurrency: 1, quiet: true });
  ref.close();
  const script = path.join(dir, "build.js");
  fs.writeFileSync(
    script,
    `require(${JSON.stringify(path.join(packageRoot(), "dist/src/images/cache.js"))}).buildCache({ images: require(${JSON.stringify(list)}), ` +
      `dir: ${JSON.stringify(path.join(dir, "c"))}, shortSide: 64, concurrency: 1, quiet: true }).then((c) => c.close());`,
  );
  const ms = 100 + Math.floor(Math.random() * 900);
  const killed = await killAfter([script], ms);
  console.log(`  cache build killed after ${ms} ms${killed.finished ? " (it had finished)" : ""}`);
  const again = await buildCache({ images, dir: path.join(dir, "c"), shortSide: 64, concurrency: 1, quiet: true });
  again.close();
  for (const f of ["train.u8", "test.u8"])
    assert.deepEqual(fs.readFileSync(path.join(dir, "c", f)), fs.readFileSync(path.join(dir, "ref", f)), f);
  assert.deepEqual(temporaries(path.join(dir, "c")), []);
});

test("a study's probe stage killed at a random moment, then run again: the same results; a second run at once is told who holds the folder", async () => {
  const dir = tempDir("kill-study");
  // A random-weight encoder: the stages after pretraining (data, cohort, cache, embeddings, probe) in seconds.
  fs.writeFileSync(path.join(dir, "c.yaml"), "models:\n  - name: rand\n    init: random\nprobe:\n  bootstrap: 20\n");
  const args = (runs: string) => [
    bin,
    "probe",
    "--config",
    "c.yaml",
    "--synth",
    "12",
    "--image-size",
    "32",
    "--runs-dir",
    runs,
  ];
  const t0 = Date.now();
  const ref = run(args("ref"), dir);
  assert.equal(ref.status, 0, ref.stderr);
  const ms = Math.floor(Math.random() * (Date.now() - t0));
  const killed = await killAfter(args("runs"), ms, dir);
  console.log(`  probe killed after ${ms} ms${killed.finished ? " (it had finished)" : ""}`);
  const first = spawn(process.execPath, args("runs"), { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  first.stderr.on("data", (d) => (err += d));
  // The second starts once the first holds the lock (it prints the run folder after taking it).
  await new Promise((resolve) => first.stdout.once("data", resolve));
  const second = run(args("runs"), dir);
  assert.equal(second.status, 2, second.stderr);
  assert.match(second.stderr, /expected a folder no other process is writing to, found it is in use by process \d+/);
  const code = await new Promise((resolve) => first.on("exit", resolve));
  assert.equal(code, 0, err);
  assert.doesNotMatch(err, /looks like you are running TensorFlow\.js in Node\.js/);
  const results = (runs: string) => fs.readFileSync(path.join(dir, runs, "study", "results.csv"), "utf8");
  assert.equal(results("runs"), results("ref"));
  assert.deepEqual(temporaries(path.join(dir, "runs")), []);
});

test("a study's synthetic data left half-written by a killed run is written again whole, without the killed run's temporary files", async () => {
  const runsDir = tempDir("kill-data");
  const config = { name: "s", runsDir, seed: 1, data: { synth: { patients: 12, imageLongSide: 32 } } };
  const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
  const orphan = path.join(runsDir, "s", "data", "mimic-cxr-jpg", "2.0.0", "files", "p10", `a.jpg.tmp-${gone}`);
  fs.mkdirSync(path.dirname(orphan), { recursive: true });
  fs.writeFileSync(orphan, "half a JPEG");
  const study = Study.open(config);
  try {
    const { mimicCxr } = await study.data();
    assert.ok(fs.existsSync(path.join(mimicCxr, "mimic-cxr-2.0.0-metadata.csv.gz")));
  } finally {
    await study.close();
  }
  assert.deepEqual(temporaries(path.join(runsDir, "s", "data")), []);
});
