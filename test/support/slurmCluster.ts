/**
 * A private Slurm cluster on this machine for tests: its own munged, slurmctld and slurmd (Debian's
 * `slurm-wlm` and `munge`), a generated munge key, a slurm.conf with a free port pair, and state, spool and
 * log folders in a temporary folder. Every daemon runs in the foreground as a child of the test process,
 * so it is stopped by its process id: by `stop()`, and by an exit hook when a test fails or throws.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { tempDir } from "./tempDir";

export interface SlurmCluster {
  /** The slurm.conf every client command must see (`SLURM_CONF`). */
  conf: string;
  /** The one node (`hostname -s`) and its partition. */
  node: string;
  partition: string;
  /** The process ids of munged, slurmctld and slurmd. */
  pids: number[];
  /** Cancels every job of this cluster, then stops its daemons (idempotent). */
  stop(): void;
}

const BINARIES = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel", "scontrol"];

/** Where a binary is (also in /usr/sbin, which a non-login PATH may lack), or undefined. */
function which(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin"]) {
    const p = path.join(dir, name);
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Two free TCP ports (for slurmctld and slurmd). */
async function freePorts(): Promise<[number, number]> {
  const one = () =>
    new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => resolve(s));
    });
  const servers = [await one(), await one()];
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port) as [number, number];
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function slurmConf(dir: string, node: string, ports: [number, number], munge: string): string {
  return [
    "ClusterName=ehrmsntest",
    `SlurmctldHost=${node}`,
    `SlurmctldPort=${ports[0]}`,
    `SlurmdPort=${ports[1]}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    "CredType=cred/munge",
    // A requeued job waits cred_expire seconds before it may start again (120 by default).
    `AuthInfo=socket=${munge},cred_expire=5`,
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`,
    `SlurmdLogFile=${dir}/log/slurmd.log`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "JobAcctGatherType=jobacct_gather/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "MpiDefault=none",
    "ReturnToService=2",
    "KillWait=5",
    `NodeName=${node} CPUs=2 State=UNKNOWN`,
    `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
    "",
  ].join("\n");
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Starts the cluster and waits until its node is idle; or returns why it cannot (for `{ skip }`):
 * missing binaries, not root, or daemons that do not come up (their log's last lines).
 */
export async function startSlurmCluster(): Promise<SlurmCluster | string> {
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length > 0) return `Slurm is not installed (no ${missing.join(", ")}; apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return "starting munged and slurmd needs root";
  const id = spawnSync("id", ["-u", "munge"], { encoding: "utf8" });
  if (id.status !== 0) return "there is no munge user (Debian's munge package makes it)";
  const mungeUid = Number(id.stdout.trim());
  const mungeGid = Number(spawnSync("id", ["-g", "munge"], { encoding: "utf8" }).stdout.trim());

  const dir = tempDir("slurm");
  fs.chmodSync(dir, 0o755); // munged (user munge) must reach its folder inside
  for (const d of ["state", "spool", "log"]) fs.mkdirSync(path.join(dir, d));
  const mungeDir = path.join(dir, "munge");
  fs.mkdirSync(mungeDir, { mode: 0o755 });
  fs.chownSync(mungeDir, mungeUid, mungeGid);
  const asMunge = { uid: mungeUid, gid: mungeGid };
  const key = path.join(mungeDir, "munge.key");
  const made = spawnSync(which("mungekey")!, ["--create", `--keyfile=${key}`], { ...asMunge, encoding: "utf8" });
  if (made.status !== 0) return `mungekey failed: ${made.stderr.trim()}`;

  const node = os.hostname().split(".")[0];
  const socket = path.join(mungeDir, "munge.socket");
  const conf = path.join(dir, "slurm.conf");
  fs.writeFileSync(conf, slurmConf(dir, node, await freePorts(), socket));
  const env = { ...process.env, SLURM_CONF: conf };

  const children: ChildProcess[] = [];
  const daemon = (bin: string, args: string[], extra: object = {}) => {
    const child = spawn(which(bin)!, args, { stdio: "ignore", env, ...extra });
    child.on("error", () => undefined); // reported through the readiness check below
    children.push(child);
  };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    // Jobs first, so that no slurmstepd outlives its slurmd.
    if (children.length > 1) {
      spawnSync(which("scancel")!, ["--full", "--user=root"], { env, stdio: "ignore", timeout: 10_000 });
      for (let i = 0; i < 40 && squeueLines(env) > 0; i++) sleepSync(250);
    }
    for (const child of children.reverse()) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
    process.removeListener("exit", stop);
  };
  process.on("exit", stop);

  daemon(
    "munged",
    [
      "--foreground",
      "--force",
      `--key-file=${key}`,
      `--socket=${socket}`,
      `--pid-file=${path.join(mungeDir, "munged.pid")}`,
      `--log-file=${path.join(mungeDir, "munged.log")}`,
      `--seed-file=${path.join(mungeDir, "munged.seed")}`,
    ],
    asMunge,
  );
  for (let i = 0; i < 40 && !fs.existsSync(socket); i++) await delay(100);
  daemon("slurmctld", ["-D", "-f", conf]);
  daemon("slurmd", ["-D", "-f", conf]);
  for (let i = 0; i < 120; i++) {
    const state = spawnSync(which("sinfo")!, ["-h", "-o", "%T", "-n", node], { env, encoding: "utf8", timeout: 5000 });
    if (state.stdout?.trim() === "idle") {
      return { conf, node, partition: "debug", pids: children.map((c) => c.pid!), stop };
    }
    await delay(250);
  }
  stop();
  const logs = ["log/slurmctld.log", "log/slurmd.log", "munge/munged.log"]
    .map((f) => path.join(dir, f))
    .filter((f) => fs.existsSync(f))
    .map((f) => `${path.basename(f)}: ${fs.readFileSync(f, "utf8").trim().split("\n").slice(-3).join(" / ")}`);
  return `the Slurm daemons did not bring the node up within 30 s (${logs.join("; ") || "no logs"})`;
}

/** Jobs of this cluster still queued, running or completing. */
function squeueLines(env: NodeJS.ProcessEnv): number {
  const r = spawnSync(which("squeue")!, ["-h", "-o", "%i"], { env, encoding: "utf8", timeout: 5000 });
  return r.status === 0 ? r.stdout.split("\n").filter(Boolean).length : 0;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
