/**
 * Pretraining checkpoints: `<run>/checkpoints/step-NNNNNNNN/` holding
 * - `model.safetensors`: every parameter under the authors' state-dict names,
 * - `train_state.safetensors`: the AdamW moments,
 * - `config.json`: the full configuration and the data signature,
 * - `history.json`: the loss and learning rate of every step so far,
 * - `state.json`: the position in the run and the SHA-256 of the three other files.
 * A checkpoint is written into a temporary folder, flushed, and renamed into place, so a run killed
 * at any moment leaves only complete checkpoints; the checksums catch later damage.
 *
 * A run that keeps its lowest-loss encoder (`keepEncoder: "lowest-loss"`) also has
 * `<run>/lowest-loss-encoder.safetensors`: that encoder, with its epoch and mean loss in the metadata.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { readSafetensors, SafeTensor, TensorToWrite, writeSafetensors } from "../model/safetensors";
import { commitAtomic, writeError, writeFileAtomic } from "../util/atomicWrite";
import { InputError } from "../util/errors";
import { CROP_DEFAULTS, METHOD_DEFAULTS, PretrainConfig, RUN_DEFINING, STOPPING_DEFAULTS } from "./config";

const FORMAT = "ehr-msn.pretrain-checkpoint.v1";
const FILES = ["model.safetensors", "train_state.safetensors", "config.json", "history.json"] as const;

export interface CheckpointState {
  format: string;
  /** Optimizer steps done. */
  step: number;
  totalSteps: number;
  /** SHA-256 of each file of the checkpoint. */
  sha256: Record<string, string>;
  writtenAt: string;
}

export interface CheckpointContents {
  dir: string;
  state: CheckpointState;
  config: PretrainConfig;
  /** Description of the training data the run was started on. */
  data: string;
  model: Map<string, SafeTensor>;
  trainState: Map<string, SafeTensor>;
  history: { loss: number[]; lr: number[] };
}

export interface CheckpointToWrite {
  step: number;
  totalSteps: number;
  config: PretrainConfig;
  data: string;
  model: Map<string, TensorToWrite>;
  trainState: Map<string, TensorToWrite>;
  history: { loss: number[]; lr: number[] };
}

/** The encoder of the epoch with the lowest mean training loss so far, as a run keeps it. */
export interface KeptEncoder {
  /** Epoch (0-based) at whose end it was taken. */
  epoch: number;
  meanLoss: number;
  values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>;
}

const KEPT_KEY = "ehr_msn.kept_epoch";

/** Where a run keeps its lowest-loss encoder (outside `checkpoints/`, so pruning never touches it). */
export function keptEncoderFile(runDir: string): string {
  return path.join(runDir, "lowest-loss-encoder.safetensors");
}

/** Writes the kept encoder atomically (a newer epoch's replaces the older one). */
export function writeKeptEncoder(runDir: string, k: KeptEncoder): void {
  const meta = { [KEPT_KEY]: JSON.stringify({ epoch: k.epoch, meanLoss: k.meanLoss }), format: "pt" };
  writeSafetensors(keptEncoderFile(runDir), k.values as Map<string, TensorToWrite>, meta);
}

/** The kept encoder of a run, if it has one. */
export function readKeptEncoder(runDir: string): KeptEncoder | undefined {
  const file = keptEncoderFile(runDir);
  if (!fs.existsSync(file)) return undefined;
  const { tensors, metadata } = readSafetensors(file);
  const at = metadata[KEPT_KEY] ? (JSON.parse(metadata[KEPT_KEY]) as { epoch: number; meanLoss: number }) : undefined;
  if (!at || !Number.isInteger(at.epoch))
    throw new InputError({
      file,
      field: KEPT_KEY,
      expected: "the epoch the kept encoder comes from",
      found: "none",
      hint: 'The file is damaged: start the run again in another folder, or pass keepEncoder: "last".',
    });
  return { epoch: at.epoch, meanLoss: at.meanLoss, values: tensors };
}

/** Folder of the checkpoints of a run. */
export function checkpointsDir(runDir: string): string {
  return path.join(runDir, "checkpoints");
}

/** Writes a checkpoint atomically, then deletes all but the newest `keep`. Returns its folder. */
export function writeCheckpoint(runDir: string, c: CheckpointToWrite, keep: number): string {
  const root = checkpointsDir(runDir);
  fs.mkdirSync(root, { recursive: true });
  const final = path.join(root, `step-${String(c.step).padStart(8, "0")}`);
  const tmp = path.join(root, `.tmp-${path.basename(final)}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    writeSafetensors(path.join(tmp, "model.safetensors"), c.model, { format: "pt" });
    writeSafetensors(path.join(tmp, "train_state.safetensors"), c.trainState);
    writeFileAtomic(path.join(tmp, "config.json"), JSON.stringify({ config: c.config, data: c.data }, null, 1) + "\n");
    writeFileAtomic(path.join(tmp, "history.json"), JSON.stringify(c.history) + "\n");
    const state: CheckpointState = {
      format: FORMAT,
      step: c.step,
      totalSteps: c.totalSteps,
      sha256: Object.fromEntries(FILES.map((f) => [f, sha256(path.join(tmp, f))])),
      writtenAt: new Date().toISOString(),
    };
    writeFileAtomic(path.join(tmp, "state.json"), JSON.stringify(state, null, 1) + "\n");
    // A checkpoint of the same step (a replayed step after a crash) is replaced.
    fs.rmSync(final, { recursive: true, force: true });
    commitAtomic(tmp, final);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw writeError(final, e);
  }
  for (const old of listCheckpoints(runDir).slice(0, -keep)) fs.rmSync(old, { recursive: true, force: true });
  return final;
}

/** Complete checkpoint folders of a run, oldest first; leftovers of interrupted writes are removed. */
export function listCheckpoints(runDir: string): string[] {
  const root = checkpointsDir(runDir);
  if (!fs.existsSync(root)) return [];
  const names = fs.readdirSync(root);
  for (const n of names) if (n.startsWith(".tmp-")) fs.rmSync(path.join(root, n), { recursive: true, force: true });
  return names
    .filter((n) => /^step-\d{8}$/.test(n))
    .sort()
    .map((n) => path.join(root, n));
}

/** The newest checkpoint folder of a run, if any. */
export function latestCheckpoint(runDir: string): string | undefined {
  return listCheckpoints(runDir).at(-1);
}

/**
 * Reads and verifies a checkpoint: format, checksums, and, when `expect` is given, that it was written
 * by a run with the same run-defining configuration and data. Refuses with an InputError saying why.
 */
export function readCheckpoint(dir: string, expect?: { config: PretrainConfig; data: string }): CheckpointContents {
  const refuse = (expected: string, found: string, hint?: string): never => {
    throw new InputError({
      file: dir,
      expected,
      found,
      hint: hint ?? "Delete this checkpoint folder to resume from an older one, or start a new run in another folder.",
    });
  };
  let state: CheckpointState;
  try {
    state = JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8"));
  } catch (e) {
    return refuse("a readable state.json", (e as Error).message);
  }
  if (state.format !== FORMAT) refuse(`a checkpoint of format ${FORMAT}`, JSON.stringify(state.format));
  for (const f of FILES) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) refuse(`the file ${f}`, "it missing");
    const digest = sha256(file);
    if (digest !== state.sha256?.[f])
      refuse(
        `${f} with the SHA-256 recorded when it was written`,
        "a different checksum: the file is corrupt or was changed",
      );
  }
  const written = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as {
    config: PretrainConfig;
    data: string;
  };
  const config: PretrainConfig = { ...METHOD_DEFAULTS, ...CROP_DEFAULTS, ...STOPPING_DEFAULTS, ...written.config };
  const { data } = written;
  if (expect) {
    const differ = RUN_DEFINING.filter((k) => JSON.stringify(config[k]) !== JSON.stringify(expect.config[k]));
    if (differ.length > 0) {
      refuse(
        "a checkpoint of a run with this configuration",
        differ
          .map((k) => `${k} ${JSON.stringify(config[k])} there but ${JSON.stringify(expect.config[k])} now`)
          .join("; "),
        "Resume with the configuration the run was started with, or start a new run in another folder.",
      );
    }
    if (data !== expect.data)
      refuse(
        `a checkpoint of a run on this data (${expect.data})`,
        `one on ${data}`,
        "Resume with the data the run was started on, or start a new run in another folder.",
      );
  }
  const history = JSON.parse(fs.readFileSync(path.join(dir, "history.json"), "utf8")) as CheckpointContents["history"];
  if (
    !Array.isArray(history.loss) ||
    history.loss.length !== state.step ||
    !Array.isArray(history.lr) ||
    history.lr.length !== state.step
  ) {
    refuse(
      `a loss and learning-rate history of ${state.step} steps`,
      `${history.loss?.length} and ${history.lr?.length} entries`,
    );
  }
  return {
    dir,
    state,
    config,
    data,
    history,
    model: readSafetensors(path.join(dir, "model.safetensors")).tensors,
    trainState: readSafetensors(path.join(dir, "train_state.safetensors")).tensors,
  };
}

function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}
