/**
 * What a study's results table does and does not show, in one sentence: whether each pretraining
 * seed of vanilla MSN beats the untrained encoder (DeLong on the same test images), the spread over
 * seeds, and the EHR effect (each model with features against vanilla MSN) with its p-value.
 * Printed under the table and written into report.html, so that nobody reads more into it than it holds.
 */
import { compare } from "../eval/compare";
import type { ModelSpec, StudyConfig } from "./config";
import { pText, signed } from "./numberFormat";
import type { ProbeSummary } from "./summaries";

const ALPHA = 0.05;

/** Vanilla MSN models (one per pretraining seed), models with EHR features, and the untrained encoder. */
function roles(models: ModelSpec[]) {
  const pretrained = models.filter((m) => m.init === undefined || m.init === "pretrain");
  const vanilla = (m: ModelSpec) => Array.isArray(m.features) && m.features.length === 0;
  return {
    seeds: pretrained.filter(vanilla),
    ehr: pretrained.filter((m) => !vanilla(m)),
    random: models.find((m) => m.init === "random"),
  };
}

function scored(p: ProbeSummary) {
  return {
    yTrue: { names: p.test.names, values: p.test.yTrue },
    yScore: { names: p.test.names, values: p.test.yScore },
  };
}

/** DeLong's p and the AUROC difference of `b` - `a` on the test split. */
function versus(a: ProbeSummary, b: ProbeSummary, config: StudyConfig): { diff: number; p: number } {
  const c = compare(scored(a), scored(b), { n: config.probe.bootstrap, seed: config.seed, quiet: true });
  return { diff: c.macro.auroc.diff, p: c.macro.auroc.delong?.p ?? c.macro.auroc.pBootstrap };
}

/** The sentence; empty when the study has neither an untrained encoder nor a model with features to compare. */
export function tableReading(config: StudyConfig, probes: ProbeSummary[]): string {
  const byName = new Map(probes.map((p) => [p.model, p]));
  const { seeds, ehr, random } = roles(config.models);
  const parts: string[] = [];
  let learned: boolean | undefined;
  if (random && seeds.length > 0) {
    const base = byName.get(random.name)!;
    const runs = seeds.map((m) => ({
      auroc: byName.get(m.name)!.macro.auroc.estimate,
      ...versus(base, byName.get(m.name)!, config),
    }));
    const wins = runs.filter((r) => r.diff > 0 && r.p < ALPHA).length;
    const values = runs.map((r) => r.auroc);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
    const spread =
      values.length > 1
        ? `macro AUROC ${mean.toFixed(3)} ± ${sd.toFixed(3)} (sd over ${values.length} seeds, ${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)})`
        : `macro AUROC ${mean.toFixed(3)}`;
    const ps = runs.map((r) => pText(r.p)).join(", ");
    learned = wins === runs.length;
    parts.push(
      `vanilla MSN beats the untrained encoder (${base.macro.auroc.estimate.toFixed(3)}) with DeLong p < ${ALPHA} on ` +
        `${wins} of ${runs.length} pretraining seed${runs.length > 1 ? "s" : ""} (${spread}; ${ps})` +
        (learned ? "" : ", so this table does not show that pretraining learned more than a random ViT already gives"),
    );
  }
  const reference = seeds[0] && byName.get(seeds[0].name);
  for (const m of ehr) {
    if (!reference) break;
    const { diff, p } = versus(reference, byName.get(m.name)!, config);
    parts.push(
      `${m.name} - ${reference.model} is ${signed(diff)} AUROC (DeLong ${pText(p)}): ` +
        (p < ALPHA
          ? "an EHR effect at this scale"
          : "no EHR effect can be told from chance at this scale, which says nothing either way about the paper's at MIMIC scale"),
    );
  }
  if (parts.length === 0) return "";
  const text = parts.join("; ");
  return `What this table shows: ${text}.`;
}
