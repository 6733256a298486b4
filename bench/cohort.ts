/**
 * `npm run bench -- cohort [--repeats N] [--dir DIR]`: builds the cohort from full-size synthetic
 * MIMIC tables (377,110 images; generated once into DIR) with ehr-msn (the JavaScript engine on the
 * `.csv.gz` folders; the SQL engine on the same folders and on a DuckDB file holding every table; both
 * engines on one holding MIMIC-IV in mimic-code's layout beside MIMIC-CXR's files), pandas
 * (bench/python/cohort_pandas.py) and polars (bench/python/cohort_polars.py) on the same files, and
 * prints wall and CPU times, ratios to polars and peak memory. The SQL engine on the folders and on the
 * mixed source is the measurement behind the JavaScript engine there. Each side runs in its own
 * process, so each peak RSS is its own.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { generate } from "../src/synth";
import { synthPaths } from "../src/synth/write";
import { writeMimicCodeDuckDb } from "../src/mimic/mimicCodeDatabase";
import { packageRoot } from "../src/util/paths";
import { median, printTable, writeResult } from "./support/report";
import { referencePython, runPython } from "./support/python";

/** Runs `code` in a fresh Node process and parses the JSON line it prints last. */
function runNode(code: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ["-e", code], {
    cwd: packageRoot(),
    encoding: "utf8",
    env: { ...process.env, EHR_MSN_QUIET: "1" },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`node side failed (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

export async function run(args: string[]): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const repeats = Number(arg("--repeats", "3"));
  const dir = path.resolve(arg("--dir", path.join(os.tmpdir(), "ehr-msn-bench-synth-mimic")));
  const { mimicCxr, mimicIv } = synthPaths(dir, "v2");
  let synthSeconds: number | undefined;
  if (!fs.existsSync(path.join(dir, "synth.json"))) {
    console.log(`generating the full-size synthetic MIMIC tables in ${dir} ...`);
    synthSeconds = (await generate({ dir, scale: "mimic", seed: 1, quiet: true })).seconds;
    console.log(`  done in ${synthSeconds.toFixed(1)} s`);
  }
  // MIMIC-IV alone in a DuckDB file (mimic-code's layout), and every table in one (MIMIC-CXR in mimiciv_cxr).
  const ivFile = path.join(dir, "mimic4.duckdb");
  const allFile = path.join(dir, "mimic-all.duckdb");
  if (!fs.existsSync(ivFile)) await writeMimicCodeDuckDb(mimicIv, ivFile);
  if (!fs.existsSync(allFile)) await writeMimicCodeDuckDb(mimicIv, allFile, mimicCxr);
  const lib = JSON.stringify(path.join(packageRoot(), "dist", "src", "cohort"));
  const opts = (impute: string, more: Record<string, string> = { mimicIv }) =>
    JSON.stringify({ mimicCxr, ...more, impute, quiet: true });
  const timed = (options: string) =>
    runNode(`
    const { build } = require(${lib});
    (async () => {
      const seconds = [], cpu = [];
      let c;
      for (let i = 0; i < ${repeats}; i++) {
        const t = process.hrtime.bigint(), u = process.cpuUsage();
        c = await build(${options});
        seconds.push(Number(process.hrtime.bigint() - t) / 1e9);
        const d = process.cpuUsage(u);
        cpu.push((d.user + d.system) / 1e6);
      }
      console.log(JSON.stringify({ seconds, cpu, rows: c.table.numRows(), dropped: c.report.dropped, peak_rss_mib: process.resourceUsage().maxRSS / 1024 }));
    })();`);
  const ours = timed(opts("mode"));
  // The SQL engine on the same .csv.gz files: the measurement behind keeping the JavaScript engine there.
  const sqlOnFolders = timed(opts("mode", { mimicIv, engine: "duckdb" }));
  const fromDuckDb = timed(opts("mode", { source: `duckdb:${allFile}` }));
  const fromIvDuckDb = timed(opts("mode", { source: `duckdb:${ivFile}` }));
  // The SQL engine on that mixed source: the measurement behind reading it with the JavaScript engine.
  const sqlFromIvDuckDb = timed(opts("mode", { source: `duckdb:${ivFile}`, engine: "duckdb" }));
  for (const [name, side] of Object.entries({ sqlOnFolders, fromDuckDb, fromIvDuckDb, sqlFromIvDuckDb }))
    if (side.rows !== ours.rows || JSON.stringify(sorted(side.dropped)) !== JSON.stringify(sorted(ours.dropped)))
      throw new Error(`${name} gives ${side.rows} rows, not ${ours.rows} (or other rows left out)`);
  const model = runNode(`
    const { build } = require(${lib});
    (async () => {
      const t = process.hrtime.bigint(); const c = await build(${opts("model")});
      console.log(JSON.stringify({ seconds: [Number(process.hrtime.bigint() - t) / 1e9], rows: c.table.numRows(), imputed: c.report.imputed, peak_rss_mib: process.resourceUsage().maxRSS / 1024 }));
    })();`);
  // Where the time goes from the DuckDB file: each SQL statement of the last of 3 builds (start and
  // length from the build's start, both connections), and the JavaScript after the last one.
  const duckdbSteps = runNode(`
    const { DuckDBConnection } = require("@duckdb/node-api");
    const { build } = require(${lib});
    const log = [];
    let t0;
    const ms = (t) => Number(t - t0) / 1e6;
    for (const m of ["run", "runAndReadAll"]) {
      const orig = DuckDBConnection.prototype[m];
      DuckDBConnection.prototype[m] = async function (sql, ...rest) {
        if (this.inner) return orig.call(this, sql, ...rest);
        this.inner = true;
        const start = ms(process.hrtime.bigint());
        try { return await orig.call(this, sql, ...rest); }
        finally { this.inner = false; log.push({ start, ms: ms(process.hrtime.bigint()) - start, sql: sql.replace(/\\s+/g, " ").trim().slice(0, 70) }); }
      };
    }
    (async () => {
      let total;
      for (let i = 0; i < 3; i++) {
        log.length = 0;
        t0 = process.hrtime.bigint();
        await build(${opts("mode", { source: `duckdb:${allFile}` })});
        total = ms(process.hrtime.bigint());
      }
      const sqlEnd = Math.max(...log.map((l) => l.start + l.ms));
      console.log(JSON.stringify({ total, sqlEnd, statements: log.sort((a, b) => b.ms - a.ms).slice(0, 12) }));
    })();`);
  // Why the imputation forest is our own: ml-random-forest's fit time on 1,000 rows (bench for randomForest.ts).
  const forest = runNode(`
    const { RandomForestClassifier } = require("ml-random-forest");
    const { RandomForest } = require(${JSON.stringify(path.join(packageRoot(), "dist", "src", "cohort", "randomForest"))});
    const { Rng } = require(${JSON.stringify(path.join(packageRoot(), "dist", "src", "util", "random"))});
    const rng = new Rng(3);
    const make = (n) => { const x = [], y = []; for (let i = 0; i < n; i++) { const r = [rng.int(3), rng.int(17), rng.int(2), rng.int(2), rng.int(2), rng.int(2), rng.int(2), rng.int(2)]; x.push(r); y.push(r[0] === 2 && r[3] ? 0 : rng.int(4)); } return { x, y }; };
    const small = make(1000), large = make(20000);
    let t = Date.now();
    new RandomForestClassifier({ nEstimators: 20, seed: 24, maxFeatures: 0.6, replacement: false, useSampleBagging: true, noOOB: true, treeOptions: { maxDepth: 8, minNumSamples: 5 } }).train(small.x, small.y);
    const mlrf = (Date.now() - t) / 1000;
    t = Date.now();
    new RandomForest({ trees: 50, maxDepth: 12, seed: 24 }).fit(large.x, large.y);
    console.log(JSON.stringify({ mlrf_1000x20: mlrf, ours_20000x50: (Date.now() - t) / 1000 }));`);

  const reference = (module: string, script: string) => {
    const py = referencePython([module]);
    const r = py.python ? runPython(py.python, script, [mimicCxr, mimicIv, String(repeats)]) : undefined;
    if (!r) console.log(`${module} side skipped: ${py.reason}`);
    else if (r.rows !== ours.rows || JSON.stringify(sorted(r.dropped)) !== JSON.stringify(sorted(ours.dropped)))
      throw new Error(`${module} disagrees: ${ours.rows} rows here, ${r.rows} in ${module} (or other rows left out)`);
    return r;
  };
  const ref = reference("pandas", "cohort_pandas.py");
  const polars = reference("polars", "cohort_polars.py");
  const t = median(ours.seconds as number[]);
  const tp = ref ? median(ref.seconds as number[]) : undefined;
  const tpl = polars ? median(polars.seconds as number[]) : undefined;
  const tdb = median(fromDuckDb.seconds as number[]);
  console.log(
    `\ncohort of ${ours.rows} images from ${mimicCxr} (median of ${repeats} builds; impute "mode", stays by date)\n`,
  );
  const cpu = median(ours.cpu as number[]);
  const cpuPandas = ref ? median(ref.cpu as number[]) : undefined;
  const cpuPolars = polars ? median(polars.cpu as number[]) : undefined;
  // CPU seconds (all threads) next to wall seconds: on a shared machine the wall time depends on
  // what else runs; pandas uses one thread, the build two (reading in a worker thread), polars all cores.
  printTable([
    {
      side: "ehr-msn, JavaScript engine on the .csv.gz folders",
      seconds: t,
      "cpu seconds": cpu,
      "peak MiB": Math.round(ours.peak_rss_mib as number),
      "x polars": tpl ? tpl / t : undefined,
    },
    ...(
      [
        ["ehr-msn, SQL engine on the .csv.gz folders", sqlOnFolders],
        ["ehr-msn, every table in a DuckDB file", fromDuckDb],
        ["ehr-msn, MIMIC-IV in a DuckDB file, MIMIC-CXR .csv.gz", fromIvDuckDb],
        ["ehr-msn, the same by the SQL engine", sqlFromIvDuckDb],
      ] as const
    ).map(([side, r]) => {
      const seconds = median(r.seconds as number[]);
      return {
        side,
        seconds,
        "cpu seconds": median(r.cpu as number[]),
        "peak MiB": Math.round(r.peak_rss_mib as number),
        "x polars": tpl ? tpl / seconds : undefined,
      };
    }),
    {
      side: "polars reference (impute mode)",
      seconds: tpl,
      "cpu seconds": cpuPolars,
      "peak MiB": polars ? Math.round(polars.peak_rss_mib as number) : undefined,
      "x polars": tpl ? 1 : undefined,
    },
    {
      side: "pandas 3 reference (impute mode)",
      seconds: tp,
      "cpu seconds": cpuPandas,
      "peak MiB": ref ? Math.round(ref.peak_rss_mib as number) : undefined,
      "x polars": tpl && tp ? tpl / tp : undefined,
    },
    {
      side: "ehr-msn cohort.build (impute model, 1 run)",
      seconds: (model.seconds as number[])[0],
      "peak MiB": Math.round(model.peak_rss_mib as number),
    },
  ]);
  console.log(
    `\nload average during the run: ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(", ")} on ${os.cpus().length} cores`,
  );
  const steps = duckdbSteps as {
    total: number;
    sqlEnd: number;
    statements: { start: number; ms: number; sql: string }[];
  };
  console.log(
    `\nfrom the DuckDB file, one build of ${steps.total.toFixed(0)} ms: SQL until ${steps.sqlEnd.toFixed(0)} ms ` +
      `(the two connections overlap), then ${(steps.total - steps.sqlEnd).toFixed(0)} ms of JavaScript; the longest statements:`,
  );
  for (const st of steps.statements)
    console.log(`  at ${st.start.toFixed(0).padStart(5)} ms ${st.ms.toFixed(0).padStart(5)} ms  ${st.sql}`);
  console.log(
    `\nimputation forest fit: ml-random-forest 1,000 rows x 20 trees ${forest.mlrf_1000x20} s; ours 20,000 rows x 50 trees ${forest.ours_20000x50} s`,
  );
  writeResult("cohort", {
    images: ours.rows,
    repeats,
    synthSeconds,
    ours,
    sqlOnFolders,
    fromDuckDb,
    fromIvDuckDb,
    sqlFromIvDuckDb,
    duckdbSteps,
    model,
    pandas: ref,
    polars,
    forest,
    medianSeconds: { ours: t, fromDuckDb: tdb, pandas: tp, polars: tpl },
    medianCpuSeconds: { ours: cpu, pandas: cpuPandas, polars: cpuPolars },
    speedup: tp ? tp / t : undefined,
    vsPolars: tpl
      ? {
          folders: tpl / t,
          sqlOnFolders: tpl / median(sqlOnFolders.seconds as number[]),
          duckdbFile: tpl / tdb,
          ivDuckdbFile: tpl / median(fromIvDuckDb.seconds as number[]),
          sqlIvDuckdbFile: tpl / median(sqlFromIvDuckDb.seconds as number[]),
        }
      : undefined,
    loadAverage: os.loadavg(),
  });
}

/** An object with its keys in order (to compare counts by reason whatever order they were counted in). */
function sorted(o: unknown): [string, unknown][] {
  return Object.entries((o ?? {}) as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
}
