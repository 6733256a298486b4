/**
 * The cohort from a real PostgreSQL server (Debian's `postgresql` package) holding the synthetic
 * MIMIC-IV tables in mimic-code's layout: the same cohort as from the folders and from a DuckDB file.
 * The server runs on a free local port as a non-root user and is stopped by its pid, also on failure;
 * without PostgreSQL the test is skipped with the reason printed.
 */
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { build } from "../../src/cohort";
import type { Cohort } from "../../src/cohort";
import { generate } from "../../src/synth";
import type { SynthResult } from "../../src/synth";
import { mimicCodeDdl, mimicCxrDdl, writeMimicCodeDuckDb } from "../../src/mimic/mimicCodeDatabase";
import { tempDir } from "../support/tempDir";

/** The folder of PostgreSQL's server programs (Debian: /usr/lib/postgresql/<version>/bin), if any. */
function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(root, v, "bin")).find((d) => fs.existsSync(path.join(d, "pg_ctl")));
}

const bin = postgresBin();
const psql = spawnSync("psql", ["--version"]).status === 0;
// PostgreSQL refuses to run as root: as root the server runs as the package's `postgres` user.
const asRoot = process.getuid?.() === 0;
const serverUser = asRoot ? spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }) : undefined;
const skip = !bin
  ? "PostgreSQL's server is not installed (Debian: apt-get install postgresql)"
  : !psql
    ? "psql is not installed (Debian: apt-get install postgresql-client)"
    : serverUser && serverUser.status !== 0
      ? "running as root and there is no postgres user to run the server as"
      : undefined;
if (skip) console.log(`# skipped: ${skip}`);

let data: SynthResult;
let fromFolders: Cohort;
let url = "";
let pid = 0;
let reason: string | undefined;

/** Runs a server program, as the postgres user when this process is root. */
function server(program: string, args: string[]) {
  const cmd = path.join(bin!, program);
  const r = asRoot
    ? spawnSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8" })
    : spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${program} failed: ${r.stderr || r.stdout}`);
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

before(async () => {
  if (skip) return;
  data = await generate({ dir: tempDir("postgres"), patients: 150, seed: 5, quiet: true });
  fromFolders = await build({ mimicCxr: data.mimicCxr, mimicIv: data.mimicIv, quiet: true });
  const dir = tempDir("pgdata");
  fs.chmodSync(dir, 0o755);
  const pgdata = path.join(dir, "data");
  fs.mkdirSync(pgdata, { mode: 0o700 });
  if (asRoot) {
    const uid = Number(serverUser!.stdout.trim());
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
    fs.chownSync(pgdata, uid, gid);
    fs.chownSync(dir, uid, gid);
  }
  const port = await freePort();
  try {
    server("initdb", ["-D", pgdata, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
    server("pg_ctl", [
      "-D",
      pgdata,
      "-l",
      path.join(dir, "server.log"),
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    ]);
    pid = Number(fs.readFileSync(path.join(pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
  } catch (e) {
    reason = `the PostgreSQL server did not start: ${(e as Error).message.split("\n")[0]}`;
    console.log(`# skipped: ${reason}`);
    return;
  }
  url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const { create, load } = mimicCodeDdl(data.mimicIv);
  const script = [
    ...create.map((s) => `${s};`),
    ...load.map(({ table, file }) => `\\copy ${table} FROM PROGRAM 'gzip -dc ${file}' WITH (FORMAT csv, HEADER true)`),
  ].join("\n");
  const r = spawnSync("psql", ["-v", "ON_ERROR_STOP=1", "-q", url], { input: script, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`loading the tables failed: ${r.stderr}`);
});

after(async () => {
  if (!pid) return;
  // Fast shutdown by pid; wait until the server is gone so that its folder can be removed.
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.kill(pid, "SIGKILL");
});

test("PostgreSQL in mimic-code's layout, a DuckDB file and the folders give the same cohort", { skip }, async (t) => {
  if (reason) return t.skip(reason);
  const dbFile = path.join(data.dir, "mimic4.duckdb");
  await writeMimicCodeDuckDb(data.mimicIv, dbFile);
  for (const stayMatch of ["date", "datetime", "last-admission"] as const) {
    const options = { mimicCxr: data.mimicCxr, stayMatch, quiet: true };
    const folders = stayMatch === "date" ? fromFolders : await build({ ...options, mimicIv: data.mimicIv });
    const postgres = await build({ ...options, source: url });
    const duckdb = await build({ ...options, source: `duckdb:${dbFile}` });
    assert.ok(folders.table.numRows() > 300);
    assert.equal(postgres.table.toCSV(), folders.table.toCSV(), stayMatch);
    assert.equal(duckdb.table.toCSV(), folders.table.toCSV(), stayMatch);
    assert.deepEqual(postgres.report.steps, folders.report.steps);
    assert.deepEqual(postgres.report.imputed, folders.report.imputed);
    assert.equal(postgres.report.inputs[3].file, `${url} (mimiciv_hosp.patients)`);
  }
  // With the MIMIC-CXR tables loaded too (schema mimiciv_cxr), they come from the server.
  const { create, load } = mimicCxrDdl(data.mimicCxr);
  const script = [
    ...create.map((s) => `${s};`),
    ...load.map(({ table, file }) => `\\copy ${table} FROM PROGRAM 'gzip -dc ${file}' WITH (FORMAT csv, HEADER true)`),
  ].join("\n");
  const r = spawnSync("psql", ["-v", "ON_ERROR_STOP=1", "-q", url], { input: script, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const everything = await build({ mimicCxr: data.mimicCxr, source: url, quiet: true });
  assert.equal(everything.table.toCSV(), fromFolders.table.toCSV());
  assert.deepEqual(everything.report.steps, fromFolders.report.steps);
  assert.deepEqual(
    everything.report.inputs.slice(0, 3).map((i) => i.file),
    ["metadata", "chexpert", "split"].map((t) => `${url} (mimiciv_cxr.${t})`),
  );
});

test("a server that cannot be reached says where it tried, without the password", { skip }, async () => {
  const port = await freePort();
  await assert.rejects(
    build({ mimicCxr: data.mimicCxr, source: `postgres://mimic:s3cret@127.0.0.1:${port}/mimic`, quiet: true }),
    (e: Error) =>
      e.message.startsWith(
        `postgres://mimic:***@127.0.0.1:${port}/mimic: expected a PostgreSQL server that accepts the connection, found an error (`,
      ) && !e.message.includes("s3cret"),
  );
});
