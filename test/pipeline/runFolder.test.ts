import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Study } from "../../src/pipeline";
import { RunFolder } from "../../src/pipeline/runFolder";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";

const config = (runsDir: string) => ({ name: "r", runsDir, data: { synth: { patients: 10, imageLongSide: 64 } } });

function writeLock(dir: string, pid: number, host = os.hostname()): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "lock.json"), JSON.stringify({ pid, host, started: "2026-12-04T10:00:00.000Z" }));
}

test("a second writer of a run folder is told who holds it; the lock goes with close (issue 19, item 6)", async () => {
  const runsDir = tempDir("lock");
  const dir = path.join(runsDir, "r");
  // The parent of this test process: alive, on this host.
  writeLock(dir, process.ppid);
  assert.throws(
    () => Study.open(config(runsDir)),
    (e: unknown) =>
      e instanceof InputError &&
      e.message.includes(`it is in use by process ${process.ppid} on ${os.hostname()} since 2026-12-04T10:00:00.000Z`),
  );
  assert.equal(fs.existsSync(path.join(dir, "config.json")), false, "nothing written by the refused writer");
  writeLock(dir, 4_000_000, "another-host");
  assert.throws(() => Study.open(config(runsDir)), /in use by process 4000000 on another-host/);
  fs.rmSync(path.join(dir, "lock.json"));
  const study = Study.open(config(runsDir));
  const held = JSON.parse(fs.readFileSync(path.join(dir, "lock.json"), "utf8"));
  assert.equal(held.pid, process.pid);
  assert.equal(held.host, os.hostname());
  await study.close();
  assert.equal(fs.existsSync(path.join(dir, "lock.json")), false);
});

test("a stale lock (its process gone) is taken over with a note", async () => {
  const runsDir = tempDir("stale");
  const dir = path.join(runsDir, "r");
  const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  writeLock(dir, Number(gone.stdout));
  const study = Study.open(config(runsDir));
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "lock.json"), "utf8")).pid, process.pid);
  await study.close();
});

test("taking a run folder's lock removes a killed writer's temporary files, but not a live one's, nor those in a folder locked by another", () => {
  const folder = new RunFolder(tempDir("orphans"), "t");
  const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
  const put = (...parts: string[]) => {
    const p = path.join(folder.dir, ...parts);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, "part");
  };
  put(`config.json.tmp-${gone}`);
  put("models", "a", "probe", `results.csv.tmp-${gone}`);
  put("models", "a", `live.json.tmp-${process.ppid}`);
  put("models", "b", `encoder.safetensors.tmp-${gone}`);
  put("models", "b", "results.csv.tmp-notapid");
  writeLock(path.join(folder.dir, "models", "b"), 1, "another-host");
  folder.lock();
  folder.unlock();
  const left = fs.readdirSync(folder.dir, { recursive: true, encoding: "utf8" }).filter((n) => n.includes(".tmp-"));
  assert.deepEqual(left.sort(), [
    path.join("models", "a", `live.json.tmp-${process.ppid}`),
    path.join("models", "b", `encoder.safetensors.tmp-${gone}`),
    path.join("models", "b", "results.csv.tmp-notapid"),
  ]);
});

test("a torn last line of metrics.jsonl does not block resuming; a torn line elsewhere is named", () => {
  const dir = tempDir("metrics");
  const folder = new RunFolder(dir, "m");
  const file = path.join(folder.dir, "metrics.jsonl");
  fs.writeFileSync(file, '{"stage":"pretrain","step":1}\n{"stage":"pretrain","st');
  assert.deepEqual(folder.metrics(), [{ stage: "pretrain", step: 1 }]);
  folder.lock();
  folder.appendMetric({ stage: "pretrain", step: 2 });
  folder.unlock();
  assert.equal(fs.readFileSync(file, "utf8"), '{"stage":"pretrain","step":1}\n{"stage":"pretrain","step":2}\n');
  fs.writeFileSync(file, '{"a":1}\n{"a":\n{"a":3}\n');
  assert.throws(
    () => folder.metrics(),
    (e: unknown) => e instanceof InputError && /metrics\.jsonl, row 2: expected a JSON record/.test(e.message),
  );
});

test("a truncated run config.json is named, with what to do", () => {
  const runsDir = tempDir("truncated");
  fs.mkdirSync(path.join(runsDir, "r"), { recursive: true });
  fs.writeFileSync(path.join(runsDir, "r", "config.json"), '{ "name": "r", "runsDir": ');
  assert.throws(
    () => Study.open(config(runsDir)),
    (e: unknown) =>
      e instanceof InputError &&
      /r[/\\]config\.json: expected a complete JSON file, found .*Delete it to let its stage run again \(or give the study another --name\)/.test(
        e.message,
      ),
  );
  assert.equal(fs.existsSync(path.join(runsDir, "r", "lock.json")), false, "the lock is released after a refused open");
});
