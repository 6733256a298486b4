/**
 * A full disk (ENOSPC, from a real 64 KiB tmpfs) while writing `cohort --out`, a checkpoint or the
 * image cache (issue 19 item 8): a one-line message naming the file, "disk full" and what to do; no
 * truncated file, no temporary file left, an earlier file unchanged.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { DiskFullError, writeFileAtomic } from "../../src/util/atomicWrite";
import { writeCheckpoint } from "../../src/train/checkpoint";
import { buildCache } from "../../src/images/cache";
import { writePhantoms } from "../../src/synth/phantoms";
import { packageRoot } from "../../src/util/paths";
import { writeHandmade } from "../cohort/handmade";
import { tempDir } from "../support/tempDir";
import { fillDisk, mountTmpfs, temporaries } from "./tmpfs";

const probe = mountTmpfs(64);
const skip = "skip" in probe ? probe.skip : false;

/** A fresh full 64 KiB disk holding `keep` (name -> content) written before it filled. */
function fullDisk(keep: Record<string, string> = {}): string {
  const m = mountTmpfs(64);
  if ("skip" in m) throw new Error(m.skip);
  for (const [name, text] of Object.entries(keep)) fs.writeFileSync(path.join(m.dir, name), text);
  fillDisk(m.dir);
  return m.dir;
}

test(
  "a file written on a full disk: DiskFullError naming it, the earlier file unchanged, nothing left",
  { skip },
  () => {
    const dir = fullDisk({ "results.json": "old\n" });
    fs.rmSync(path.join(dir, "filler"));
    fs.writeFileSync(path.join(dir, "filler"), Buffer.alloc(40 * 1024));
    const file = path.join(dir, "results.json");
    assert.throws(
      () => writeFileAtomic(file, "x".repeat(64 * 1024)),
      (e: unknown) =>
        e instanceof DiskFullError &&
        e.message ===
          `${file}: expected room on its disk to write it, found the disk full (ENOSPC). Nothing was replaced: an ` +
            `earlier results.json is as it was, and the partial copy was removed. Free space in ${dir} (df -h shows ` +
            "how much is left) or write elsewhere, then run the command again.",
    );
    assert.equal(fs.readFileSync(file, "utf8"), "old\n");
    assert.deepEqual(temporaries(dir), []);
  },
);

test(
  "cohort --out on a full disk: exit 2, one line naming the file and the full disk, no truncated file",
  { skip },
  () => {
    const { mimicCxr, mimicIv } = writeHandmade();
    const dir = fullDisk({ "cohort.csv": "old cohort\n" });
    const out = path.join(dir, "cohort.csv");
    const fresh = path.join(dir, "fresh.csv");
    const bin = path.join(packageRoot(), "bin", "ehr-msn.js");
    for (const file of [out, fresh]) {
      const r = spawnSync(
        process.execPath,
        [bin, "cohort", "--mimic-cxr", mimicCxr, "--mimic-iv", mimicIv, "--quiet", "--out", file],
        { encoding: "utf8" },
      );
      assert.equal(r.status, 2, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`^ehr-msn: ${file}: expected room on its disk to write it, found the disk full \\(ENOSPC\\)\\.`),
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
    assert.equal(fs.readFileSync(out, "utf8"), "old cohort\n");
    assert.equal(fs.existsSync(fresh), false);
    assert.deepEqual(temporaries(dir), []);
  },
);

test("a checkpoint on a full disk: DiskFullError naming the step folder; no partial checkpoint", { skip }, () => {
  const runDir = fullDisk();
  const c = {
    step: 10,
    totalSteps: 20,
    config: {} as never,
    data: "d",
    model: new Map([["w", { shape: [64, 1024], data: new Float32Array(64 * 1024) }]]),
    trainState: new Map(),
    history: { loss: [], lr: [] },
  };
  const final = path.join(runDir, "checkpoints", "step-00000010");
  assert.throws(
    () => writeCheckpoint(runDir, c, 2),
    (e: unknown) => e instanceof DiskFullError && e.message.startsWith(`${final}: expected room on its disk`),
  );
  assert.deepEqual(fs.readdirSync(path.join(runDir, "checkpoints")), []);
});

test(
  "the image cache on a full disk: DiskFullError naming the cache folder; no temporary file left",
  { skip },
  async () => {
    const src = tempDir("diskfull-images");
    const specs = Array.from({ length: 4 }, (_, i) => ({
      dicomId: `img${i}`,
      file: path.join(src, `img${i}.jpg`),
      positive: [],
      uncertain: [],
      view: "PA" as const,
      position: "Erect" as const,
      sex: "F" as const,
      age: 50,
      icu: false,
      seed: i,
    }));
    await writePhantoms(specs, { longSide: 96, concurrency: 1, quiet: true });
    const dir = path.join(fullDisk(), "cache");
    fs.rmSync(path.join(path.dirname(dir), "filler"));
    fs.writeFileSync(path.join(path.dirname(dir), "filler"), Buffer.alloc(56 * 1024));
    const images = specs.map((s) => ({ id: s.dicomId, path: s.file, split: "train" }));
    await assert.rejects(
      buildCache({ images, dir, shortSide: 96, quiet: true }),
      (e: unknown) =>
        e instanceof DiskFullError && e.message.startsWith(`${dir}: expected room on its disk to write it`),
    );
    assert.deepEqual(temporaries(dir), []);
  },
);
