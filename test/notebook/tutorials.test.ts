import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../../src/util/paths";
import { cellText, notebookSkipReason, runNotebook } from "../support/notebooks";
import type { ExecuteResult } from "../../src/jupyter";

/** Mime types of every display output of the notebook, in order. */
function displays(r: ExecuteResult): Record<string, unknown>[] {
  return r.notebook.cells.flatMap((c) =>
    (c.outputs ?? []).filter((o) => o.output_type === "display_data").map((o) => o.data ?? {}),
  );
}

function plotly(r: ExecuteResult): { data: { type?: string; name?: string }[]; layout: Record<string, unknown> }[] {
  return displays(r)
    .map((d) => d["application/vnd.plotly.v1+json"])
    .filter(Boolean) as never;
}

const skip = notebookSkipReason();
// The tutorials share one study in runs/tutorial-quick (EHR_MSN_QUICK=1: tiny cohort, tiny ViT); start it fresh.
const quick = { EHR_MSN_QUICK: "1" };
fs.rmSync(path.join(packageRoot(), "runs", "tutorial-quick"), { recursive: true, force: true });

test("tutorial 01-cohort builds the cohort and shows it", { skip }, () => {
  const r = runNotebook("01-cohort.ipynb", quick);
  const figures = plotly(r);
  assert.equal(figures.length, 4, "EHR distributions, label prevalence and two heatmaps");
  assert.match(JSON.stringify(figures[0].layout), /Age/);
  assert.deepEqual(
    figures.slice(2).map((f) => f.data[0].type),
    ["heatmap", "heatmap"],
  );
  assert.match(cellText(r, 8), /male, female, age_norm: \d+ training images/);
  // danfo as a pandas user writes it: the frame, a Series' mean and value counts; then a selection back.
  assert.match(cellText(r, 9), /\d+ rows x 29 columns; mean age \d+\.\d/);
  assert.match(cellText(r, 9), /PA/);
  // The report and the summary are HTML tables; no id column is shown.
  const html = displays(r)
    .map((d) => String(d["text/html"] ?? ""))
    .join("\n");
  assert.match(html, /train/);
  assert.match(html, /selection \(not a PA view\)/);
  assert.doesNotMatch(html, /dicom_id|subject_id|study_id/);
});

test("tutorial 02-pretrain trains vanilla MSN and EHR-MSN with a live loss curve", { skip }, () => {
  const r = runNotebook("02-pretrain.ipynb", quick);
  const out = cellText(r, 4);
  for (const m of ["MSN", "MSN\\+demographics"])
    assert.match(out, new RegExp(`^${m}: \\d+ steps, loss \\d\\.\\d{3} -> \\d\\.\\d{3}$`, "m"));
  const curves = plotly(r);
  assert.ok(curves.length >= 2, "the live curve and the history");
  assert.deepEqual(
    curves[curves.length - 1].data.map((t) => t.name),
    ["MSN", "MSN+demographics"],
  );
});

test("tutorial 03-linear-probe reports the table with CIs, the tests and the figures", { skip }, () => {
  const r = runNotebook("03-linear-probe.ipynb", quick);
  assert.match(cellText(r, 2), /^MSN: macro AUROC 0\.\d{3} \(0\.\d{3}, 0\.\d{3}\); chosen: Adam lr /m);
  assert.match(cellText(r, 4), /MSN\+demographics - MSN: AUROC -?\d\.\d{3} .*DeLong p = \d\.\d{3}/);
  const html = displays(r)
    .map((d) => String(d["text/html"] ?? ""))
    .join("\n");
  assert.match(html, /AUROC \(CI\)/);
  // One label read from each result: its interval and its count of positive test images.
  assert.match(
    cellText(r, 6),
    /^MSN · Edema: AUROC (0\.\d{3} \(0\.\d{3}, 0\.\d{3}\)|n\/a .*), AUPRC .*; \d+ of \d+ test images positive$/m,
  );
  assert.match(cellText(r, 6), /^MSN\+demographics - MSN · Edema: AUROC (-?\d\.\d{3}, DeLong p = \d\.\d{3}|n\/a)$/m);
  const figures = plotly(r);
  assert.deepEqual(
    figures.map((f) => (f.layout.title as { text: string }).text.split("<br>")[0]),
    [
      "AUROC and AUPRC with confidence intervals",
      "Difference from the baseline (B - A) with 95% CIs",
      "ROC curves per label",
      "Precision-recall curves per label",
    ],
  );
  // The curves come from the results directly: a panel for each of the four labels asked for, both models.
  const panels = (figures[2].layout.annotations as { text: string }[]).map((a) => a.text.replace(/<\/?b>/g, ""));
  assert.deepEqual(
    panels.map((t) => t.replace(/ \(one class only: no curve\)$/, "")),
    ["Cardiomegaly", "Pleural Effusion", "Edema", "Support Devices"],
  );
  assert.deepEqual([...new Set(figures[2].data.map((t) => t.name))].sort(), ["MSN", "MSN+demographics", "chance"]);
});

test("tutorial 04-embeddings draws the t-SNE panels of Figure 3", { skip }, () => {
  const r = runNotebook("04-embeddings.ipynb", quick);
  const [fig] = plotly(r);
  assert.ok(fig, "a t-SNE figure");
  // 3 label groups x 2 models x 4 labels.
  assert.equal(fig.data.length, 24);
});
