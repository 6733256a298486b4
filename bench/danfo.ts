/**
 * `npm run bench -- danfo [--repeats N] [--timeout S] [--dir DIR]`: the cohort exploration helpers,
 * `toDanfo` and the `select` round trip on the full-size synthetic MIMIC cohort (376,517 images; the
 * tables of `npm run bench -- cohort`, generated once into DIR), next to the plain danfo call a pandas
 * user would write and to pandas doing the same work (bench/python/danfo_pandas.py) in the same run.
 * Each plain danfo call runs in its own Node process on a frame made by danfo's own constructor, with
 * a time limit on the call (S seconds, default 60), because some never finish at this size.
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
import { referencePython, runPython } from "./support/python";
import { median, printTable, writeResult } from "./support/report";

type Cohort = Awaited<ReturnType<typeof build>>;

/** One of our calls, pandas' name for the same work (bench/python/danfo_pandas.py), the plain danfo call a user would write instead. */
interface Operation {
  name: string;
  run: (c: Cohort) => unknown;
  pandas: string;
  danfo?: string;
}

const quiet = { warn: () => {} };

const OPERATIONS: Operation[] = [
  {
    name: "cohort.toDanfo(c.table)",
    run: (c) => toDanfo(c.table, quiet),
    pandas: "pd.DataFrame(columns)",
    danfo: "new DataFrame(columns)",
  },
  {
    name: "cohort.describe(c)",
    run: (c) => explore.describe(c),
    pandas: "describe numeric, per split",
    danfo: "df.describe()",
  },
  {
    name: 'cohort.describe(c, { include: "categorical" })',
    run: (c) => explore.describe(c, { include: "categorical" }),
    pandas: "describe categorical, per split",
  },
  {
    name: 'cohort.valueCounts(c, "view")',
    run: (c) => explore.valueCounts(c, "view"),
    pandas: "value_counts(view), per split",
    danfo: 'df["view"].valueCounts()',
  },
  {
    name: 'cohort.crosstab(c, "view", "Cardiomegaly")',
    run: (c) => explore.crosstab(c, "view", "Cardiomegaly"),
    pandas: "crosstab(view, Cardiomegaly, margins=True)",
  },
  { name: 'cohort.labelsBy(c, "sex")', run: (c) => explore.labelsBy(c, "sex"), pandas: "labels by sex" },
  { name: "cohort.labelCooccurrence(c)", run: (c) => explore.labelCooccurrence(c), pandas: "label co-occurrence" },
  {
    name: "cohort.missingness(c)",
    run: (c) => explore.missingness(c),
    pandas: "isna() per split",
    danfo: "df.isNa().sum()",
  },
  {
    name: "cohort.perPatient(c)",
    run: (c) => explore.perPatient(c),
    pandas: "per patient, per split",
    danfo: 'df.groupby(["subject_id"]).count()',
  },
  {
    name: "cohort.select(c, PA views of toDanfo)",
    run: (c) => select(c, paViews(c), { reason: "not a PA view" }),
    pandas: "select PA views (df.loc[index])",
  },
  {
    name: 'df.loc({ columns: ["age", "sex"] }) of toDanfo',
    run: (c) => frame(c).loc({ columns: ["age", "sex"] }),
    pandas: 'df.loc[:, ["age", "sex"]]',
    danfo: 'df.loc({ columns: ["age", "sex"] })',
  },
  {
    name: "round trip: toDanfo + df.query(age > 60) + select",
    run: (c) => {
      const df = toDanfo(c.table, quiet);
      return select(c, df.query(df["age"].gt(60)), { reason: "age 60 or under" });
    },
    pandas: "round trip: DataFrame + age > 60 + loc",
    danfo: 'df.query(df["age"].gt(60))',
  },
];

/** The plain danfo calls measured, each with pandas' name for the same call. */
const PLAIN: Record<string, string> = {
  "new DataFrame(columns)": "pd.DataFrame(columns)",
  'df.groupby(["split"]).count()': 'groupby("split").count()',
  'df["view"].valueCounts()': 'df["view"].value_counts()',
  'df.query(df["age"].gt(60))': 'df.query("age > 60")',
  'df["age"].mean()': 'df["age"].mean()',
  "df.isNa().sum()": "df.isna().sum()",
  'df.sortValues("age")': 'df.sort_values("age")',
  'df.groupby(["subject_id"]).count()': 'groupby("subject_id").count()',
  "df.describe()": "df.describe()",
  'df.loc({ columns: ["age", "sex"] })': 'df.loc[:, ["age", "sex"]]',
};

/** The cohort as a toDanfo frame, made once (what is timed is the call on it). */
let cohortFrame: ReturnType<typeof toDanfo> | undefined;
function frame(c: Cohort) {
  cohortFrame ??= toDanfo(c.table, quiet);
  return cohortFrame;
}

/** The PA views of the cohort, selected in danfo (made once: `select` is what is timed). */
let paSelection: ReturnType<typeof toDanfo> | undefined;
function paViews(c: Cohort) {
  paSelection ??= frame(c).query(frame(c)["view"].eq("PA"));
  return paSelection;
}

interface Timing {
  seconds: number;
  cpu: number;
}

/** Seconds of one call of `f` (wall), with its CPU seconds (user + system of this process). */
function timed(f: () => unknown): Timing {
  const t = process.hrtime.bigint();
  const u = process.cpuUsage();
  f();
  const d = process.cpuUsage(u);
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, cpu: (d.user + d.system) / 1e6 };
}

/**
 * Runs one plain danfo call on the table saved in `arrow`, in a child process, on a DataFrame made by
 * danfo's constructor. The time limit starts when the child says it is ready (loading and, for the
 * other calls, the constructor are not held against the call); a call still running then is killed.
 */
function plainCall(arrow: string, call: string, timeoutS: number): Promise<Partial<Timing> & { outcome: string }> {
  const constructor = call === "new DataFrame(columns)";
  const code = `
    const aq = require("arquero"); const dfd = require("danfojs-node"); const fs = require("fs");
    const t = aq.fromArrow(fs.readFileSync(${JSON.stringify(arrow)}));
    const columns = Object.fromEntries(t.columnNames().map((c) => [c, Array.from(t.array(c))]));
    const make = () => new dfd.DataFrame(columns);
    const df = ${constructor ? "undefined" : "make()"};
    console.log("ready");
    const start = process.hrtime.bigint(); const u = process.cpuUsage();
    ${constructor ? "make()" : call};
    const d = process.cpuUsage(u);
    console.log(JSON.stringify({ seconds: Number(process.hrtime.bigint() - start) / 1e9, cpu: (d.user + d.system) / 1e6 }));`;
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
      if (killed) return resolve({ outcome: `> ${timeoutS} s (stopped)` });
      if (status !== 0) {
        const error = err.match(/^\w*(Error|error)\b.*$/m)?.[0] ?? err.trim().split("\n").slice(-1)[0];
        return resolve({ outcome: `failed (exit ${status}): ${(error ?? "").slice(0, 120)}` });
      }
      const lines = out.trim().split("\n");
      resolve({ ...(JSON.parse(lines[lines.length - 1]) as Timing), outcome: "ok" });
    });
  });
}

/** pandas doing the same operations on the same table, or the reason it could not run. */
function pandasSide(
  c: Cohort,
  repeats: number,
): { times?: Record<string, { seconds: number[]; cpu: number[] }>; version?: string; reason?: string } {
  const py = referencePython(["pandas"]);
  if (!py.python) return { reason: py.reason };
  const csv = path.join(os.tmpdir(), `ehr-msn-bench-danfo-${process.pid}.csv`);
  fs.writeFileSync(csv, c.table.toCSV());
  try {
    console.log("pandas ...");
    const r = runPython(py.python, "danfo_pandas.py", [csv, JSON.stringify(c.labelNames), String(repeats)]);
    return { times: r.operations as Record<string, { seconds: number[]; cpu: number[] }>, version: String(r.pandas) };
  } finally {
    fs.rmSync(csv, { force: true });
  }
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

  const ours = new Map<string, Timing[]>();
  for (const op of OPERATIONS) {
    console.log(`ehr-msn: ${op.name} ...`);
    ours.set(
      op.name,
      Array.from({ length: repeats }, () => timed(() => op.run(c))),
    );
  }
  const plain = new Map<string, Partial<Timing> & { outcome: string }>();
  const arrow = path.join(os.tmpdir(), `ehr-msn-bench-danfo-${process.pid}.arrow`);
  fs.writeFileSync(arrow, aq.toArrowIPC(c.table));
  try {
    for (const call of Object.keys(PLAIN)) {
      console.log(`plain danfo: ${call} ...`);
      plain.set(call, await plainCall(arrow, call, timeoutS));
    }
  } finally {
    fs.rmSync(arrow, { force: true });
  }
  const pandas = pandasSide(c, repeats);
  const pandasCpu = (name: string) => (pandas.times?.[name] ? median(pandas.times[name].cpu) : undefined);
  const danfoTime = (call: string) => {
    const d = plain.get(call)!;
    return d.seconds ?? d.outcome;
  };

  const helpers = OPERATIONS.map((op) => {
    const t = ours.get(op.name)!;
    const wall = median(t.map((x) => x.seconds));
    const cpu = median(t.map((x) => x.cpu));
    const p = pandasCpu(op.pandas);
    return {
      "ehr-msn": op.name,
      "wall s": wall,
      "cpu s": cpu,
      "under 2 s (wall/cpu)": `${wall < 2 ? "yes" : "NO"}/${cpu < 2 ? "yes" : "NO"}`,
      "pandas cpu s": p,
      "cpu / pandas": p ? cpu / p : undefined,
      "plain danfo": op.danfo,
      "danfo wall s": op.danfo ? danfoTime(op.danfo) : undefined,
    };
  });
  const calls = Object.entries(PLAIN).map(([call, name]) => {
    const d = plain.get(call)!;
    const p = pandasCpu(name);
    return {
      "plain danfo": call,
      "wall s": danfoTime(call),
      "cpu s": d.cpu,
      pandas: name,
      "pandas cpu s": p,
      "danfo cpu / pandas": d.cpu !== undefined && p ? d.cpu / p : undefined,
    };
  });
  console.log(
    `\ncohort of ${rows} rows x ${c.table.numCols()} columns; ehr-msn and pandas: median of ${repeats} runs; ` +
      `plain danfo: one run each, in its own process, stopped at ${timeoutS} s`,
  );
  if (pandas.reason) console.log(`pandas not run: ${pandas.reason}`);
  printTable(helpers);
  console.log("");
  printTable(calls);
  const load = os.loadavg();
  console.log(`\nload average at the end: ${load.map((x) => x.toFixed(1)).join(", ")} on ${os.cpus().length} cores`);
  writeResult("danfo", {
    rows,
    columns: c.table.numCols(),
    repeats,
    timeoutS,
    pandas: pandas.version ?? pandas.reason,
    loadAverage: load,
    ours: Object.fromEntries(ours),
    danfo: Object.fromEntries(plain),
    pandasTimes: pandas.times,
  });
}
