/**
 * `cohort.build`: one row per MIMIC-CXR-JPG image with its split, 14 CheXpert labels and EHR fields
 * from MIMIC-IV (method-reference §12-13), every row left out counted by reason.
 *
 * Steps, in order, each in its own module and each a report step: read and check the tables
 * (readTables), join images to patients and labels and check the view and position codes (joinImages),
 * split (assignSplit), image files when `checkImages` (paths), match studies to admissions and ICU
 * stays by time (timeMatch), the EHR fields (ehrFields), impute missing view / position (impute), the
 * labels under the uncertain policy (labels), and the table (cohortTable).
 */
import type * as aq from "arquero";
import { InputError } from "../util/errors";
import { progress } from "../util/progress";
import type { Cohort, CohortOptions, RandomSplit } from "./types";
import { reportedOptions, resolveOptions, type ResolvedOptions } from "./buildOptions";
import { Reporter } from "./buildReport";
import { findCxrInputs, readTables } from "./readTables";
import { ivTables, type IvTables } from "./ivTables";
import { joinImages } from "./joinImages";
import { assignSplit } from "./assignSplit";
import { dropMissingImages } from "./paths";
import { timeMatch } from "./timeMatch";
import { ehrFields, type EhrFields } from "./ehrFields";
import { sqlStages } from "./buildSql";
import { imputeViewPosition } from "./impute";
import { labelColumns } from "./labels";
import { cohortTable } from "./cohortTable";
import { AUTHORS_AGE_BOUNDS } from "./features";
import { MimicCohort } from "./dataset";
import { checkCohortData, columnValues, type CheckedTables } from "./dataChecks";

/** The images kept after the split, image and EHR steps, and per metadata row what those steps found. */
export interface StagedImages {
  rows: Int32Array;
  ids: { dicom: readonly string[]; subject: Float64Array; study: Float64Array };
  /** StudyDate, YYYYMMDD. */
  ymd: Float64Array;
  split: Int8Array;
  viewCode: Int8Array;
  posCode: Int8Array;
  ehr: EhrFields;
  /** The metadata file (or table), named when nothing is known to impute from. */
  file: string;
  /** The 14 labels of the images `rows`, in that order, under the uncertain policy. */
  labels: (rows: Int32Array) => Record<string, Float32Array>;
  /** Each table's file (or database table) and row count, for the checks of the data as a whole. */
  tables: CheckedTables;
}

/** Builds the cohort from the MIMIC-CXR-JPG folder and the MIMIC-IV folder or database. */
export async function build(options: CohortOptions): Promise<Cohort> {
  const o = resolveOptions(options);
  const bar = progress("cohort", 4, { unit: "step", quiet: options.quiet });
  const rep = new Reporter();
  // A database that holds MIMIC-CXR too by SQL; MIMIC-CXR's files by the JavaScript engine, which reads
  // gzipped CSV faster than DuckDB: at full size 1.43 s against 4.26 s for the SQL engine on the same
  // folders, which DuckDB gunzips on one thread each (bench/cohort.ts; bench/results/cohort.json, 2 cores).
  const iv = o.engine === "duckdb" ? undefined : await ivTables(o);
  const s = iv ? await jsStages(o, iv, rep) : await sqlStages(o, rep);
  bar.tick(2);

  const { viewCode, posCode, split, ids } = s;
  const filled = imputeViewPosition(
    { rows: s.rows, viewCode, posCode, split, study: ids.study, ehr: s.ehr, file: s.file },
    o,
    rep,
  );
  const rows = filled.rows;
  bar.tick(1);

  const { viewMissing, posMissing } = filled;
  const fields = { ...ids, ymd: s.ymd, split, viewCode, posCode, viewMissing, posMissing, ehr: s.ehr };
  const images = { root: o.images, layout: o.imageLayout };
  const table = checkCohortData(cohortTable(rows, fields, s.labels(rows), images), s.tables, rep);
  bar.tick(1);
  const bounds = ageBounds(o, table);
  const report = rep.finish(reportedOptions(o));
  bar.finish({ images: table.numRows() });
  return new MimicCohort(table, report, bounds, o.pretrainSplit);
}

/** The steps up to the EHR fields by the JavaScript engine: the tables read into columns, joined through indexes. */
async function jsStages(o: ResolvedOptions, iv: IvTables, rep: Reporter): Promise<StagedImages> {
  const cxr = findCxrInputs(o.mimicCxr, o.split);
  const { tables, stays } = await readTables(cxr, iv, rep);
  const joined = joinImages(tables, rep);
  const { rows: inSplit, split } = await assignSplit(tables, joined.rows, o.split as RandomSplit, o.seed, rep);
  const { meta } = tables;
  const ids = { dicom: meta.strings.dicom_id, subject: meta.numbers.subject_id, study: meta.numbers.study_id };
  const images = { root: o.images, layout: o.imageLayout };
  const rows = o.checkImages ? dropMissingImages(inSplit, ids, images, rep) : inSplit;
  const t = { ...tables, ...(await stays) };
  const ehr = ehrFields(t, rows, joined.patient, timeMatch(t, rows, o.stayMatch, rep));
  const { viewCode, posCode } = joined;
  const labels = (kept: Int32Array) => labelColumns(t.chex, joined.labelRow, kept, o.uncertain);
  return {
    rows,
    ids,
    ymd: t.meta.numbers.StudyDate,
    split,
    viewCode,
    posCode,
    ehr,
    file: t.meta.file,
    labels,
    tables: t,
  };
}

/** The bounds of `age_norm` the options ask for ("train": the training split's youngest and oldest). */
function ageBounds(o: ResolvedOptions, table: aq.ColumnTable): { min: number; max: number } {
  if (o.ageBounds === "fixed") return { ...AUTHORS_AGE_BOUNDS };
  if (typeof o.ageBounds === "object") return { min: o.ageBounds.min, max: o.ageBounds.max };
  const ages = columnValues(table, "age") as ArrayLike<number>;
  const splits = columnValues(table, "split") as ArrayLike<string>;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < ages.length; k++) {
    if (splits[k] !== "train") continue;
    min = Math.min(min, ages[k]);
    max = Math.max(max, ages[k]);
  }
  if (!(max > min))
    throw new InputError({
      field: "ageBounds",
      expected: `"train" bounds from at least two training ages`,
      found: min === Infinity ? "no training rows" : `a single age ${min}`,
    });
  return { min, max };
}
