/**
 * `npm run bench -- danfo [--repeats N] [--timeout S] [--dir DIR]`: the cohort exploration helpers, the
 * `select` round trip and `toDanfo` on the full-size synthetic MIMIC cohort (376,517 images; the tables
 * of `npm run bench -- cohort`, generated once into DIR), next to the plain danfo calls a pandas user
 * would write. Each plain call runs in its own Node process with a time limit on the call (S seconds,
 * default 60), because some never finish at this size; a call that hits the limit is reported as such.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import * as aq from "arquero";
import { build } from "../src/cohort/build";
import { toDanfo } from "../src/cohort/danfoFrame";
import * as explore from "../src/cohort/explore";
import { select } from "../src/cohort/select";
import { generate } from "../src/synth";
import { synthPaths } from "../src/synth/write";
import { packageRoot } from "../src/util/paths";
import { median, printTable, writeResult } from "./support/report";

/** The plain danfo calls measured, as code run on `df` (a DataFrame of the whole cohort table). */
const PLAIN: Record<string, string> = {
  "new DataFrame(columns)":
    "new dfd.DataFrame(Object.fromEntries(t.columnNames().map((c) => [c, Array.from(t.array(c))])))",
  'df.groupby(["split"]).count()': 'df.groupby(["split"]).count()',
  'df["view"].valueCounts()': 'df["view"].valueCounts()',
  'df.query(df["age"].gt(60))': 'df.query(df["age"].gt(60))',
  'df["age"].mean()': 'df["age"].mean()',
  "df.isNa().sum()": "df.isNa().sum()",
  'df.sortValues("age")': 'df.sortValues("age")',
  'df.groupby(["subject_id"]).count()': 'df.groupby(["subject_id"]).count()',
  "df.describe()": "df.describe()",
};

/** Seconds of one call of `f` (wall), with its CPU seconds. */
function timed(f: () => unknown): { seconds: number; cpu: number } {
  const t = process.hrtime.bigint();
  const u = process.cpuUsage();
  f();
  const d = process.cpuUsage(u);
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, cpu: (d.user + d.system) / 1e6 };
}

/**
 * Runs one plain danfo call on the table saved in `arrow`, in a child process. The time limit starts
 * when the child says the DataFrame is ready, so that loading (slow on a loaded machine) is not held
 * against the call; a call still running at the limit is killed.
 */
function plainCall(arrow: string, call: string, timeoutS: number): Promise<{ seconds?: number; outcome: string }> {
  const dist = JSON.stringify(path.join(packageRoot(), "dist", "src", "cohort", "danfoFrame"));
  const code = `
    const aq = require("arquero"); const dfd = require("danfojs-node"); const fs = require("fs");
    const t = aq.fromArrow(fs.readFileSync(${JSON.stringify(arrow)}));
    const df = require(${dist}).toDanfo(t, { warn: () => {} });
    console.log("ready");
    const start = process.hrtime.bigint();
    ${call};
    console.log(JSON.stringify({ seconds: Number(process.hrtime.bigint() - start) / 1e9 }));`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", code], {
      cwd: packageRoot(),
      env: { ...process.env, EHR_MSN_QUIET: "1" },
    });
    let out = "";
    let err = "";
    let timer: NodeJS.Timeout | undefined;
    let killed = false;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!timer && out.includes("ready"))
        timer = setTimeout(() => {
          killed = true;
          child.kill("SIGKILL");
        }, timeoutS * 1000);
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (status) => {
      clearTimeout(timer);
      if (killed) return resolve({ outcome: `did not finish in ${timeoutS} s (killed)` });
      if (status !== 0) {
        const error = err.match(/^\w*(Error|error)\b.*$/m)?.[0] ?? err.trim().split("\n").slice(-1)[0];
        return resolve({ outcome: `failed (exit ${status}): ${(error ?? "").slice(0, 120)}` });
      }
      const lines = out.trim().split("\n");
      resolve({ seconds: JSON.parse(lines[lines.length - 1]).seconds, outcome: "ok" });
    });
  });
}

export async function run(args: string[]): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const repeats = Number(arg("--repeats", "3"));
  const timeoutS = Number(arg("--timeout", "60"));
  const dir = path.resolve(arg("--dir", path.join(os.tmpdir(), "ehr-msn-bench-synth-mimic")));
  const { mimicCxr, mimicIv } = synthPaths(dir, "v2");
  if (!fs.existsSync(path.join(dir, "synth.json"))) {
    console.log(`generating the full-size synthetic MIMIC tables in ${dir} ...`);
    await generate({ dir, scale: "mimic", seed: 1, quiet: true });
  }
  console.log("building the cohort ...");
  const c = await build({ mimicCxr, mimicIv, impute: "mode", quiet: true });
  const rows = c.table.numRows();
  require("danfojs-node"); // loaded once here, so that its start-up (TensorFlow.js) is in no timing

  const ours: Record<string, () => unknown> = {
    "cohort.toDanfo(c.table)": () => toDanfo(c.table, { warn: () => {} }),
    "cohort.describe(c)": () => explore.describe(c),
    'cohort.describe(c, { include: "categorical" })': () => explore.describe(c, { include: "categorical" }),
    'cohort.valueCounts(c, "view")': () => explore.valueCounts(c, "view"),
    'cohort.crosstab(c, "view", "Cardiomegaly")': () => explore.crosstab(c, "view", "Cardiomegaly"),
    'cohort.labelsBy(c, "sex")': () => explore.labelsBy(c, "sex"),
    "cohort.labelCooccurrence(c)": () => explore.labelCooccurrence(c),
    "cohort.missingness(c)": () => explore.missingness(c),
    "cohort.perPatient(c)": () => explore.perPatient(c),
  };
  const df = toDanfo(c.table, { warn: () => {} });
  const selection = df.query(df["view"].eq("PA"));
  ours["cohort.select(c, df.query(PA views))"] = () => select(c, selection, { reason: "not a PA view" });
  ours["round trip: toDanfo + query + select"] = () => {
    const d = toDanfo(c.table, { warn: () => {} });
    return select(c, d.query(d["age"].gt(60)), { reason: "age 60 or under" });
  };

  const results: Record<string, unknown>[] = [];
  const table: Record<string, string | number | undefined>[] = [];
  for (const [name, f] of Object.entries(ours)) {
    const runs = Array.from({ length: repeats }, () => timed(f));
    const seconds = median(runs.map((r) => r.seconds));
    const cpu = median(runs.map((r) => r.cpu));
    results.push({ side: "ehr-msn", call: name, seconds: runs.map((r) => r.seconds), cpu: runs.map((r) => r.cpu) });
    table.push({ call: name, seconds, "cpu seconds": cpu, "under 2 s": seconds < 2 ? "yes" : "NO" });
  }
  const arrow = path.join(os.tmpdir(), `ehr-msn-bench-danfo-${process.pid}.arrow`);
  fs.writeFileSync(arrow, aq.toArrowIPC(c.table));
  try {
    for (const [name, call] of Object.entries(PLAIN)) {
      console.log(`plain danfo: ${name} ...`);
      const r = await plainCall(arrow, call, timeoutS);
      results.push({ side: "danfo", call: name, ...r });
      table.push({ call: `danfo ${name}`, seconds: r.seconds, outcome: r.outcome });
    }
  } finally {
    fs.rmSync(arrow, { force: true });
  }
  console.log(`\ncohort of ${rows} rows x ${c.table.numCols()} columns (median of ${repeats} runs for ehr-msn)\n`);
  printTable(table);
  console.log(
    `\nload average during the run: ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(", ")} on ${os.cpus().length} cores`,
  );
  writeResult("danfo", { rows, columns: c.table.numCols(), repeats, timeoutS, results, loadAverage: os.loadavg() });
}
