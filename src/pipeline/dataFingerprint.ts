/**
 * The content fingerprint of the data a study used: for each MIMIC table the cohort reads, its size,
 * modification time and SHA-256 (tables over 64 MiB by size and time only, to keep a session's start
 * quick). Stored in the run folder, it tells when the data changed under the results made from it.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import { findInputs } from "../cohort/readTables";
import type { CohortOptions } from "../cohort/types";

/** Tables larger than this are fingerprinted by size and modification time, not content. */
const HASHED_UP_TO = 64 << 20;

export interface TableFingerprint {
  size: number;
  mtimeMs: number;
  sha256?: string;
}

/** Table role (metadata, chexpert, split, patients, admissions, icustays) -> its fingerprint. */
export type DataFingerprint = Record<string, TableFingerprint>;

/** The fingerprint of the tables a cohort of these folders reads. */
export function dataFingerprint(mimicCxr: string, mimicIv: string, split?: CohortOptions["split"]): DataFingerprint {
  const out: DataFingerprint = {};
  for (const [role, file] of Object.entries(findInputs(mimicCxr, mimicIv, split))) {
    if (!file) continue;
    const st = fs.statSync(file);
    out[role] = {
      size: st.size,
      mtimeMs: Math.round(st.mtimeMs),
      ...(st.size <= HASHED_UP_TO
        ? { sha256: crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex") }
        : {}),
    };
  }
  return out;
}

/** The tables whose fingerprint differs between `before` and `now` (content first, else size or time). */
export function changedTables(before: DataFingerprint, now: DataFingerprint): string[] {
  const roles = [...new Set([...Object.keys(before), ...Object.keys(now)])];
  return roles.filter((r) => {
    const a = before[r];
    const b = now[r];
    if (!a || !b) return true;
    if (a.sha256 && b.sha256) return a.sha256 !== b.sha256;
    return a.size !== b.size || a.mtimeMs !== b.mtimeMs;
  });
}
