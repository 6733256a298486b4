import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { BAD_IMAGES, buildCache, openCache } from "../../src/images/cache";
import { decodeResized, resizedSize } from "../../src/images/decode";
import type { ImageSource } from "../../src/images/types";
import { writePhantoms, type PhantomSpec } from "../../src/synth/phantoms";
import { InputError } from "../../src/util/errors";

const golden = path.resolve(__dirname, "../../../test/golden");
const fixture = JSON.parse(fs.readFileSync(path.join(golden, "images_fixture.json"), "utf8"));
let dir: string;
let sources: ImageSource[];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-cache-"));
  const specs: PhantomSpec[] = Array.from({ length: 12 }, (_, i) => ({
    dicomId: `img${i}`,
    file: path.join(dir, "files", `p1${i % 3}`, `img${i}.jpg`),
    positive: [],
    uncertain: [],
    view: i % 4 === 3 ? "LATERAL" : "PA",
    position: "Erect",
    sex: "F",
    age: 50,
    icu: false,
    seed: i,
  }));
  await writePhantoms(specs, { longSide: 96, concurrency: 1, quiet: true });
  const png = path.join(dir, "source.png");
  fs.copyFileSync(path.join(golden, "images_source.png"), png);
  const splits = ["train", "train", "validate", "test"];
  sources = [
    ...specs.map((s, i) => ({ id: s.dicomId, path: s.file, split: splits[i % 4] })),
    { id: "png", path: png, split: "test" },
  ];
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("decoding resizes the shorter side like PIL's Resize (bilinear with antialiasing)", async () => {
  const ours = await decodeResized({ id: "png", path: path.join(golden, "images_source.png"), split: "x" }, 64, 1);
  assert.deepEqual([ours.width, ours.height], [fixture.resize64.width, fixture.resize64.height]);
  const ref = Buffer.from(fixture.resize64.data, "base64");
  let sum = 0,
    max = 0;
  ref.forEach((r, i) => {
    const d = Math.abs(ours.data[i] - r);
    sum += d;
    max = Math.max(max, d);
  });
  // libvips' and PIL's triangle filters differ in rounding and edge handling only.
  assert.ok(sum / ref.length < 1.5 && max <= 8, `mean |diff| ${(sum / ref.length).toFixed(2)}, max ${max}`);
  assert.deepEqual(resizedSize(170, 200, 64), { width: 64, height: 75 });
  assert.deepEqual(resizedSize(300, 256, 256), { width: 300, height: 256 });
  assert.deepEqual(resizedSize(1000, 333, 256), { width: 768, height: 256 });
});

test("a built cache stores every image resized, by split, and reads it back three ways", async () => {
  const cache = await buildCache({ images: sources, dir: path.join(dir, "c1"), shortSide: 40, quiet: true });
  assert.equal(cache.size, sources.length);
  assert.deepEqual(cache.splits, ["train", "validate", "test"]);
  assert.deepEqual(Array.from(cache.indicesOf("test")), [3, 7, 11, 12]);
  assert.equal(cache.indicesOf("nope").length, 0);
  assert.equal(cache.report.reused, false);
  assert.deepEqual(cache.report.skippedByReason, { missing: 0, undecodable: 0 });
  for (const f of ["index.json", "train.u8", "validate.u8", "test.u8"])
    assert.ok(fs.existsSync(path.join(dir, "c1", f)), f);
  for (let i = 0; i < sources.length; i++) {
    const direct = await decodeResized(sources[i], 40, 1);
    const img = cache.get(i);
    assert.equal(Math.min(img.width, img.height), 40);
    assert.deepEqual([img.width, img.height], [direct.width, direct.height]);
    assert.deepEqual(img.data, direct.data, `pixels of ${sources[i].id}`);
    assert.equal(cache.indexOf(sources[i].id), i);
    assert.equal(cache.id(i), sources[i].id);
    assert.equal(cache.split(i), sources[i].split);
    assert.deepEqual(cache.shape(i), { width: img.width, height: img.height });
  }
  const idx = [12, 0, 5];
  const sync = cache.getBatch(idx),
    asyncRead = await cache.readBatch(idx);
  assert.deepEqual(
    asyncRead.map((x) => x.data),
    idx.map((i) => cache.get(i).data),
  );
  assert.deepEqual(
    sync.map((x) => x.data),
    idx.map((i) => cache.get(i).data),
  );
  assert.equal(cache.indexOf("unknown"), -1);
  assert.throws(() => cache.get(sources.length), RangeError);
  cache.close();
  assert.throws(() => cache.get(0), /closed/);
});

test("the cache is reused when inputs and settings are unchanged, and rebuilt when either changes", async () => {
  const d = path.join(dir, "c2");
  const first = await buildCache({ images: sources, dir: d, shortSide: 32, quiet: true });
  const mtime = fs.statSync(path.join(d, "train.u8")).mtimeMs;
  first.close();
  const again = await buildCache({ images: sources, dir: d, shortSide: 32, quiet: true });
  assert.equal(again.report.reused, true);
  assert.equal(fs.statSync(path.join(d, "train.u8")).mtimeMs, mtime, "a reused cache is not rewritten");
  again.close();

  const other = await buildCache({ images: sources, dir: d, shortSide: 48, quiet: true });
  assert.equal(other.report.reused, false, "a new shortSide rebuilds");
  assert.equal(Math.min(other.get(0).width, other.get(0).height), 48);
  other.close();

  // A changed input file (new modification time) rebuilds.
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(sources[2].path, later, later);
  const touched = await buildCache({ images: sources, dir: d, shortSide: 48, quiet: true });
  assert.equal(touched.report.reused, false, "a modified image rebuilds");
  touched.close();
  // So does a different list of images; the split files of splits no longer present are removed.
  const trainOnly = sources.filter((s) => s.split === "train");
  const fewer = await buildCache({ images: trainOnly, dir: d, shortSide: 48, quiet: true });
  assert.equal(fewer.report.reused, false);
  assert.equal(fewer.size, trainOnly.length);
  assert.deepEqual(fs.readdirSync(d).sort(), ["index.json", "train.u8"]);
  fewer.close();
  // A truncated split file is not trusted: buildCache rebuilds, openCache refuses.
  fs.truncateSync(path.join(d, "train.u8"), 100);
  assert.throws(
    () => openCache(d),
    (e: unknown) => e instanceof InputError && /truncated/.test(e.message),
  );
  const repaired = await buildCache({ images: trainOnly, dir: d, shortSide: 48, quiet: true });
  assert.equal(repaired.report.reused, false);
  const last = trainOnly.length - 1;
  assert.deepEqual(repaired.get(last).data, (await decodeResized(trainOnly[last], 48, 1)).data);
  repaired.close();
});

test("a corrupt, truncated or missing image is an InputError naming its place in its split, never its id or path; with skip it is counted", async () => {
  const bad = path.join(dir, "bad");
  fs.mkdirSync(bad, { recursive: true });
  const jpeg = fs.readFileSync(sources[0].path);
  fs.writeFileSync(path.join(bad, "truncated.jpg"), jpeg.subarray(0, jpeg.length >> 1));
  fs.writeFileSync(path.join(bad, "garbage.jpg"), "not an image");
  const withBad: ImageSource[] = [
    ...sources.slice(0, 4),
    { id: "dicom-truncated", path: path.join(bad, "truncated.jpg"), split: "train" },
    { id: "dicom-garbage", path: path.join(bad, "garbage.jpg"), split: "train" },
    { id: "dicom-missing", path: path.join(bad, "missing.jpg"), split: "test" },
  ];
  const d = path.join(dir, "c3");
  const list = path.join(d, BAD_IMAGES);
  const noIds = (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.doesNotMatch(e.message, /dicom-|truncated\.jpg|garbage\.jpg|missing\.jpg/);
    return true;
  };
  await assert.rejects(buildCache({ images: withBad, dir: d, quiet: true, concurrency: 4 }), (e: unknown) => {
    noIds(e);
    assert.match(
      (e as Error).message,
      /^image 3 of the train split: expected a readable JPEG or PNG image, found an image that cannot be decoded \(.+\)\. Its id and path are in .*bad-images\.csv\./i,
    );
    return true;
  });
  // The ids and paths are in the cache folder's list only: here all three bad images of the chunk.
  assert.deepEqual(fs.readFileSync(list, "utf8").trim().split("\n"), [
    "split,id,path,reason",
    `"train","dicom-truncated","${withBad[4].path}","undecodable"`,
    `"train","dicom-garbage","${withBad[5].path}","undecodable"`,
    `"test","dicom-missing","${withBad[6].path}","missing"`,
  ]);
  await assert.rejects(buildCache({ images: withBad.slice(5), dir: d, quiet: true }), (e: unknown) => {
    noIds(e);
    assert.match(
      (e as Error).message,
      /^image 1 of the train split: expected a readable JPEG or PNG image, found an image that cannot be decoded/,
    );
    return true;
  });
  await assert.rejects(buildCache({ images: withBad.slice(6), dir: d, quiet: true }), (e: unknown) => {
    noIds(e);
    assert.match(
      (e as Error).message,
      /^image 1 of the test split: expected a readable JPEG or PNG image, found no such file\./,
    );
    return true;
  });
  assert.ok(
    !fs.existsSync(d) || fs.readdirSync(d).every((f) => !f.includes(".tmp-")),
    "no temporary files left behind",
  );

  const cache = await buildCache({ images: withBad, dir: d, onBadImage: "skip", quiet: true });
  assert.equal(cache.size, 4);
  assert.equal(cache.report.requested, 7);
  assert.equal(cache.report.stored, 4);
  assert.deepEqual(cache.report.skippedByReason, { missing: 1, undecodable: 2 });
  assert.deepEqual(
    cache.report.skipped.map((s) => [s.id, s.reason]),
    [
      ["dicom-truncated", "undecodable"],
      ["dicom-garbage", "undecodable"],
      ["dicom-missing", "missing"],
    ],
  );
  assert.equal(cache.indexOf("dicom-garbage"), -1);
  cache.close();
  // The report survives reopening; asking for "error" on a cache that skipped images raises the first.
  const reopened = openCache(d);
  assert.deepEqual(reopened.report.skippedByReason, { missing: 1, undecodable: 2 });
  assert.equal(reopened.report.reused, true);
  reopened.close();
  await assert.rejects(
    buildCache({ images: withBad, dir: d, quiet: true }),
    /^InputError: image 3 of the train split:/,
  );
});

test("a build removes the *.tmp-<pid> files of a killed build, and only those whose process is gone", async () => {
  const d = path.join(dir, "c5");
  fs.mkdirSync(d, { recursive: true });
  const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
  const alive = spawn("sleep", ["30"]);
  try {
    const orphans = [`train.u8.tmp-${gone}`, `index.json.tmp-${gone}`];
    const kept = [`other.u8.tmp-${alive.pid}`, "notes.tmp-x"];
    for (const f of [...orphans, ...kept]) fs.writeFileSync(path.join(d, f), "half");
    const cache = await buildCache({ images: sources.slice(0, 2), dir: d, quiet: true });
    cache.close();
    const left = fs.readdirSync(d);
    for (const f of orphans) assert.ok(!left.includes(f), `${f} removed`);
    for (const f of kept) assert.ok(left.includes(f), `${f} kept`);
  } finally {
    alive.kill();
  }
});

test("bad options are InputErrors naming the field", async () => {
  const d = path.join(dir, "c4");
  await assert.rejects(
    buildCache({ images: [sources[0], { ...sources[1], id: sources[0].id }], dir: d }),
    /images\[1\]\.id: expected unique image ids, found "img0" a second time/,
  );
  await assert.rejects(
    buildCache({ images: [{ ...sources[0], path: "" }], dir: d }),
    /images\[0\]\.path: expected a non-empty string, found an empty string/,
  );
  await assert.rejects(
    buildCache({ images: sources, dir: d, shortSide: 0 }),
    /shortSide: expected an integer in 1\.\.4096, found 0/,
  );
  await assert.rejects(
    buildCache({ images: sources, dir: d, onBadImage: "ignore" as "skip" }),
    /onBadImage: expected "error" or "skip"/,
  );
  assert.throws(() => openCache(path.join(dir, "nowhere")), /index\.json: expected an image cache index/);
});
