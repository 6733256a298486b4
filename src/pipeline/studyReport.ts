/**
 * The sections of a study's report.html, each built by a small named function from what the stages
 * left: cohort, pretraining, linear evaluation, external validation, embeddings and settings. No ids.
 */
import type { BackendInfo } from "../backend/init";
import type { Cohort } from "../cohort/types";
import type { Comparison, Difference } from "../eval/compare";
import type { ResultsTable } from "../eval/table";
import { describeChoice } from "../eval/probe";
import type { PretrainConfig } from "../train/config";
import { ehrDistributions } from "../viz/ehr";
import type { Figure } from "../viz/figure";
import { forestPlot } from "../viz/forestPlot";
import { labelPrevalence } from "../viz/prevalence";
import { TrainingCurves } from "../viz/training";
import { escapeHtml } from "../util/html";
import type { StudyConfig } from "./config";
import type { ReportSection } from "./htmlReport";
import { pText, signed } from "./numberFormat";
import type { ProbeSummary } from "./summaries";
import { tableReading } from "./tableReading";

/** A model's comparison against the study's baseline. */
export interface ModelComparison {
  model: string;
  comparison: Comparison;
}

/** Everything the report shows, gathered by `Study.report`. */
export interface StudyReportInput {
  config: StudyConfig;
  /** The pretraining settings every model used (defaults filled in). */
  pretrain: PretrainConfig;
  backend: BackendInfo;
  cohort: Cohort;
  /** Loss per optimizer step of each model's pretraining (absent when its history is missing). */
  losses: { model: string; loss?: number[] }[];
  table: ResultsTable;
  comparisons: ModelComparison[];
  probes: ProbeSummary[];
  external?: ResultsTable;
  tsne?: Figure;
}

/** The report's title. */
export function studyReportTitle(config: StudyConfig): string {
  return `ehr-msn study "${config.name}"`;
}

/** Every section of report.html, in order. */
export function studyReportSections(r: StudyReportInput): ReportSection[] {
  return [
    ...cohortSection(r),
    ...pretrainingSection(r),
    ...linearEvaluationSection(r),
    ...externalSection(r),
    ...embeddingsSection(r),
    ...settingsSection(r),
  ];
}

function cohortSection({ config, cohort }: StudyReportInput): ReportSection[] {
  const source =
    "synth" in config.data ? "Synthetic MIMIC-shaped cohort with phantom radiographs" : "MIMIC-CXR-JPG with MIMIC-IV";
  return [
    { heading: "Cohort" },
    `${source}; images per split, label prevalence and EHR features below. ` +
      "Every row left out of the cohort is counted by reason in cohort-report.json.",
    cohort.summary(),
    ehrDistributions(cohort.table, { title: "EHR features by split (the paper's Appendix B)" }),
    labelPrevalence(cohort.table, { title: "Label prevalence by split" }),
  ];
}

function pretrainingSection({ config, pretrain: p, backend, losses }: StudyReportInput): ReportSection[] {
  const encoders =
    `${config.models.length} encoders: ViT-${p.vit} (${p.dim ?? "default"} width, ${p.layers ?? "default"} blocks), ` +
    `${p.imageSize} px views and ${p.focalViews} focal views of ${p.focalSize} px, ` +
    `batch ${p.batchSize}, ${p.epochs} epoch${p.epochs === 1 ? "" : "s"}, on the ${backend.name} backend.`;
  const fused = config.models.map((m) => `${m.name}: ${featureText(m.features)}`).join("; ");
  return [
    { heading: "Pretraining" },
    `${encoders} Features fused on the anchor side: ${fused}.`,
    lossCurves(config, losses),
  ];
}

/** One panel of every model's loss per optimizer step. */
function lossCurves(config: StudyConfig, losses: StudyReportInput["losses"]): TrainingCurves {
  const curves = new TrainingCurves({
    title: "Pretraining: MSN loss per optimizer step",
    panels: [config.models.map((m) => m.name)],
  });
  for (const { model, loss } of losses) loss?.forEach((l, i) => curves.append(i + 1, { [model]: l }));
  return curves.finish();
}

function linearEvaluationSection({ config, table, comparisons, probes }: StudyReportInput): ReportSection[] {
  return [
    { heading: "Linear evaluation" },
    `Macro AUROC and AUPRC on the test split with 95% bootstrap intervals (${config.probe.bootstrap} resamples). ` +
      table.note,
    table,
    ...intervalNote(table),
    resultsForest(table, config.baseline),
    comparisonText(comparisons, config.baseline),
    tableReading(config, probes),
    probeChoices(probes),
  ];
}

/**
 * Percentile intervals that miss their estimate (possible when the resampled values are skewed: few
 * positives or few resamples), said in words rather than left for the reader to find.
 */
export function intervalNote(table: ResultsTable): string[] {
  const missed = table.cells.flatMap((c) =>
    (["auroc", "auprc"] as const)
      .filter((m) => !(c[m].lower <= c[m].estimate && c[m].estimate <= c[m].upper))
      .map(
        (m) =>
          `${c.model}${c.group ? ` (${c.group})` : ""} ${m.toUpperCase()} ${c[m].estimate.toFixed(3)} outside (${c[m].lower.toFixed(3)}, ${c[m].upper.toFixed(3)})`,
      ),
  );
  if (missed.length === 0) return [];
  return [
    `Some percentile intervals do not contain their estimate: ${missed.join("; ")}. ` +
      "The resampled values are skewed there (few positives or few resamples); more bootstrap resamples narrow this.",
  ];
}

/** The results table as a forest plot, starred where significantly better than the baseline (p < 0.05). */
export function resultsForest(table: ResultsTable, baseline: string): Figure {
  return forestPlot(table, { reference: baseline, title: "Test macro AUROC and AUPRC with 95% CIs" });
}

/** Each model's difference from the baseline on the same test images, one line per model. */
function comparisonText(comparisons: ModelComparison[], baseline: string): string {
  if (comparisons.length === 0) return "";
  const lines = comparisons.map(({ model, comparison: c }) => {
    const { auroc, auprc } = c.macro;
    const delong = auroc.delong ? `DeLong ${pText(auroc.delong.p)}, ` : "";
    return (
      `${model} - ${baseline}: AUROC ${differenceText(auroc)}, ${delong}bootstrap ${pText(auroc.pBootstrap)}; ` +
      `AUPRC ${differenceText(auprc)}, bootstrap ${pText(auprc.pBootstrap)}.`
    );
  });
  const intro = `Differences against ${baseline} on the same test images (paired bootstrap intervals, DeLong's test for AUROC):`;
  return `${intro}\n\n${lines.join("\n")}`;
}

/** "+0.012 (-0.003, +0.027)". */
function differenceText(d: Difference): string {
  return `${signed(d.diff)} (${signed(d.lower)}, ${signed(d.upper)})`;
}

/** The probe run each model's validation chose. */
function probeChoices(probes: ProbeSummary[]): string {
  const runs = probes.map(
    ({ model, chosen: c }) => `${model}: ${describeChoice(c)} (validation macro AUROC ${c.valAuroc.toFixed(3)})`,
  );
  const among = probes.some(({ chosen }) => "c" in chosen)
    ? "among the C values of the logistic probe (docs/demo-study.md)"
    : "among the runs of the authors' protocol";
  return `Probe chosen on validation macro AUROC ${among}: ${runs.join("; ")}.`;
}

function externalSection({ external }: StudyReportInput): ReportSection[] {
  if (!external) return [];
  return [
    { heading: "External validation" },
    "CheXpert: each model's MIMIC-CXR probe applied as it is to the CheXpert test split (labels matched by name). " +
      "NIH-14: a probe trained and chosen on NIH's train / validate split with the same protocol, tested on its test list. " +
      external.note,
    external,
  ];
}

function embeddingsSection({ tsne }: StudyReportInput): ReportSection[] {
  if (!tsne) return [];
  return [
    { heading: "Embeddings" },
    "t-SNE of training images with a single label among the twelve of the paper's Figure 3, the same images for every model.",
    tsne,
  ];
}

function settingsSection({ config, backend }: StudyReportInput): ReportSection[] {
  return [
    { heading: "Settings" },
    { html: `<pre>${escapeHtml(JSON.stringify({ ...config, backend }, null, 2))}</pre>` },
  ];
}

function featureText(f: string | string[]): string {
  return Array.isArray(f) ? (f.length === 0 ? "none (vanilla MSN)" : f.join(", ")) : f;
}
