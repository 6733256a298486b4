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
import { findCxrInputs, findIvFiles, readTables } from "./readTables";
import { joinImages } from "./joinImages";
import { assignSplit } from "./assignSplit";
import { dropMissingImages } from "./paths";
import { timeMatch } from "./timeMatch";
import { ehrFields } from "./ehrFields";
import { imputeViewPosition } from "./impute";
import { labelColumns } from "./labels";
import { cohortTable } from "./cohortTable";
import { AUTHORS_AGE_BOUNDS } from "./features";
import { MimicCohort } from "./dataset";
import { checkCohortData } from "./dataChecks";

/** Builds the cohort from the MIMIC-CXR-JPG folder and the MIMIC-IV folder or database. */
export async function build(options: CohortOptions): Promise<Cohort> {
  const o = resolveOptions(options);
  const bar = progress("cohort", 4, { unit: "step", quiet: options.quiet });
  const rep = new Reporter();
  const cxr = findCxrInputs(o.mimicCxr, o.split);
  const t = await readTables(cxr, o.source ?? findIvFiles(o.mimicIv), rep);
  bar.tick(1);

  const joined = joinImages(t, rep);
  const { rows: inSplit, split } = await assignSplit(t, joined.rows, o.split as RandomSplit, o.seed, rep);
  const ids = { dicom: t.meta.strings.dicom_id, subject: t.meta.numbers.subject_id, study: t.meta.numbers.study_id };
  const images = { root: o.images, layout: o.imageLayout };
  let rows = o.checkImages ? dropMissingImages(inSplit, ids, images, rep) : inSplit;
  bar.tick(1);

  const ehr = ehrFields(t, rows, joined.patient, timeMatch(t, rows, o.stayMatch, rep));
  bar.tick(1);

  const { viewCode, posCode } = joined;
  const filled = imputeViewPosition(
    { rows, viewCode, posCode, split, study: ids.study, ehr, file: t.meta.file },
    o,
    rep,
  );
  rows = filled.rows;
  bar.tick(1);

  const labels = labelColumns(t.chex, joined.labelRow, rows, o.uncertain);
  const { viewMissing, posMissing } = filled;
  const fields = { ...ids, ymd: t.meta.numbers.StudyDate, split, viewCode, posCode, viewMissing, posMissing, ehr };
  const table = checkCohortData(cohortTable(rows, fields, labels, images), t, rep);
  const bounds = ageBounds(o, table);
  const report = rep.finish(reportedOptions(o));
  bar.finish({ images: table.numRows() });
  return new MimicCohort(table, report, bounds, o.pretrainSplit);
}

/** The bounds of `age_norm` the options ask for ("train": the training split's youngest and oldest). */
function ageBounds(o: ResolvedOptions, table: aq.ColumnTable): { min: number; max: number } {
  if (o.ageBounds === "fixed") return { ...AUTHORS_AGE_BOUNDS };
  if (typeof o.ageBounds === "object") return { min: o.ageBounds.min, max: o.ageBounds.max };
  const ages = table.array("age") as Float64Array;
  const splits = table.array("split") as string[];
  let min = Infinity;
  let max = -Infinity;
  ages.forEach((a, k) => {
    if (splits[k] !== "train") return;
    min = Math.min(min, a);
    max = Math.max(max, a);
  });
  if (!(max > min))
    throw new InputError({
      field: "ageBounds",
      expected: `"train" bounds from at least two training ages`,
      found: min === Infinity ? "no training rows" : `a single age ${min}`,
    });
  return { min, max };
}
