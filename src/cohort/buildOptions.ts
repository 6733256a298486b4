/** The options of `cohort.build`, checked at the boundary and completed with their defaults. */
import * as fs from "fs";
import * as path from "path";
import { InputError, describeValue } from "../util/errors";
import { checkInt, checkOneOf } from "../util/validate";
import type { DatabaseSource } from "./readTables";
import { checkReadableFolder } from "./tableChecks";
import { redactUrl } from "./postgresDatabase";
import { defaultSplit, paperSplit } from "./patientSplit";
import type { CohortOptions, ImputePolicy, RandomSplit, SplitName, StayMatch, UncertainPolicy } from "./types";

/** The options after defaults (what the report shows). */
export interface ResolvedOptions {
  mimicCxr: string;
  /** The MIMIC-IV folder ("" when `source` names a database). */
  mimicIv: string;
  /** The MIMIC-IV database, when one is used. */
  source?: DatabaseSource;
  engine: "js" | "duckdb";
  images: string;
  imageLayout: "mimic" | "flat";
  checkImages: boolean;
  uncertain: UncertainPolicy;
  impute: ImputePolicy;
  stayMatch: StayMatch;
  split: "official" | string | RandomSplit;
  pretrainSplit: SplitName | "all";
  ageBounds: "fixed" | "train" | { min: number; max: number };
  seed: number;
  imputeSample: number;
}

/** A keyword option: its default when absent, else one of `allowed`. */
export function keywordOption<T extends string>(field: string, v: unknown, allowed: readonly T[], dflt: T): T {
  return v === undefined ? dflt : checkOneOf(v, field, allowed, { bare: true });
}

/** An option naming a folder that must exist; returns its absolute path. */
export function existingFolder(field: string, dir: unknown): string {
  if (typeof dir !== "string" || dir === "")
    throw new InputError({ field, expected: "a folder path", found: describeValue(dir) });
  checkReadableFolder(dir, field);
  return path.resolve(dir);
}

/** A `source` option: `duckdb:FILE` (an existing file; its absolute path) or a postgres:// URL. */
function databaseSource(source: unknown): DatabaseSource {
  if (typeof source === "string" && /^postgres(ql)?:\/\//.test(source)) return { postgres: source };
  const m = typeof source === "string" ? /^duckdb:(.+)$/.exec(source) : null;
  if (!m)
    throw new InputError({
      field: "source",
      expected: "duckdb:FILE or postgres://user@host:port/database",
      found: typeof source === "string" && source.includes("://") ? "another kind of URL" : describeValue(source),
    });
  const stat = fs.statSync(m[1], { throwIfNoEntry: false });
  if (!stat?.isFile())
    throw new InputError({
      field: "source",
      file: m[1],
      expected: "a DuckDB database file",
      found: stat ? "a folder" : "nothing there",
    });
  return { duckdb: path.resolve(m[1]) };
}

/** The options as the report shows them: a database named without its password. */
export function reportedOptions(o: ResolvedOptions): Record<string, unknown> {
  if (!o.source) return { ...o };
  return { ...o, source: "duckdb" in o.source ? `duckdb:${o.source.duckdb}` : redactUrl(o.source.postgres) };
}

/** Checks the options at the boundary and fills the defaults. */
export function resolveOptions(o: CohortOptions): ResolvedOptions {
  const mimicCxr = existingFolder("mimicCxr", o?.mimicCxr);
  const source = o?.source === undefined ? undefined : databaseSource(o.source);
  const mimicIv = source ? "" : existingFolder("mimicIv", o?.mimicIv);
  const given = o.split ?? defaultSplit(mimicCxr);
  const split = given === "paper" ? paperSplit() : given;
  if (typeof split === "object") {
    const ok = split && split.validate >= 0 && split.test >= 0 && split.validate + split.test < 1;
    if (!ok)
      throw new InputError({
        field: "split",
        expected: "{ validate, test } fractions >= 0 with a sum below 1",
        found: JSON.stringify(split),
      });
    if (split.by !== undefined) checkOneOf(split.by, "split.by", ["patients", "images"]);
  } else if (typeof split !== "string" || split === "") {
    throw new InputError({
      field: "split",
      expected: `"paper", "official", a split file path or { validate, test, by, seed }`,
      found: describeValue(split),
    });
  }
  const bounds = o.ageBounds ?? "fixed";
  if (typeof bounds === "object" ? !(bounds && bounds.max > bounds.min) : bounds !== "fixed" && bounds !== "train") {
    throw new InputError({
      field: "ageBounds",
      expected: `"fixed", "train" or { min, max } with max > min`,
      found: JSON.stringify(bounds),
    });
  }
  const seed = checkInt(o.seed ?? 24, "seed");
  const imputeSample = checkInt(o.imputeSample ?? 20000, "imputeSample", { min: 10 });
  return {
    mimicCxr,
    mimicIv,
    ...(source && { source }),
    engine: keywordOption("engine", o.engine, ["js", "duckdb"], "js"),
    images: path.resolve(o.images ?? o.mimicCxr),
    imageLayout: keywordOption("imageLayout", o.imageLayout, ["mimic", "flat"], "mimic"),
    checkImages: Boolean(o.checkImages),
    uncertain: keywordOption("uncertain", o.uncertain, ["zeros", "ones", "ignore"], "zeros"),
    impute: keywordOption("impute", o.impute, ["model", "mode", "drop"], "model"),
    stayMatch: keywordOption("stayMatch", o.stayMatch, ["date", "datetime", "last-admission"], "date"),
    split,
    pretrainSplit: keywordOption("pretrainSplit", o.pretrainSplit, ["train", "validate", "test", "all"], "train"),
    ageBounds: bounds,
    seed,
    imputeSample,
  };
}
