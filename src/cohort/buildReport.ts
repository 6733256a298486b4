/**
 * The build report: every step's rows in and out, and every row left out counted by its reason.
 */
import type { CohortReport, ReportStep } from "./types";

export class Reporter {
  readonly inputs: { file: string; rows: number }[] = [];
  readonly steps: ReportStep[] = [];
  readonly imputed = { view: 0, position: 0 };
  readonly warnings: string[] = [];

  /** Notes a file read. */
  input(file: string, rows: number): void {
    this.inputs.push({ file, rows });
  }

  /**
   * Keeps the rows for which `reason` returns undefined and counts the others by the reason given;
   * records the step and returns the rows kept (in order).
   */
  filter(step: string, rows: Int32Array, reason: (row: number) => string | undefined): Int32Array {
    const kept = new Int32Array(rows.length);
    let n = 0;
    const dropped: Record<string, number> = {};
    for (const r of rows) {
      const why = reason(r);
      if (why === undefined) kept[n++] = r;
      else dropped[why] = (dropped[why] ?? 0) + 1;
    }
    this.steps.push({ step, table: "images", rowsIn: rows.length, rowsOut: n, dropped });
    return kept.slice(0, n);
  }

  /** Records a step that leaves no image out, or one on another table (`table`). */
  note(step: string, table: string, rowsIn: number, rowsOut: number, dropped: Record<string, number> = {}): void {
    this.steps.push({ step, table, rowsIn, rowsOut, dropped });
  }

  /** Records a warning about the data and prints it at once: a problem the user must see, not a reason to stop. */
  warn(message: string): void {
    this.warnings.push(message);
    console.warn(`ehr-msn: warning: ${message}`);
  }

  finish(options: Record<string, unknown>): CohortReport {
    const dropped: Record<string, number> = {};
    for (const s of this.steps) {
      if (s.table === "images") for (const [k, v] of Object.entries(s.dropped)) dropped[k] = (dropped[k] ?? 0) + v;
    }
    const { inputs, steps, imputed, warnings } = this;
    return {
      inputs,
      steps,
      dropped,
      imputed,
      warnings,
      options,
      text: () => reportText(inputs, steps, imputed, warnings),
    };
  }
}

function reportText(
  inputs: CohortReport["inputs"],
  steps: ReportStep[],
  imputed: CohortReport["imputed"],
  warnings: readonly string[],
): string {
  const lines = ["files read:"];
  for (const f of inputs) lines.push(`  ${f.file}: ${f.rows} rows`);
  lines.push("steps:");
  for (const s of steps) {
    lines.push(`  ${s.step}${s.table === "images" ? "" : ` (${s.table})`}: ${s.rowsIn} -> ${s.rowsOut}`);
    for (const [k, v] of Object.entries(s.dropped)) lines.push(`      left out, ${k}: ${v}`);
  }
  if (imputed.view || imputed.position) lines.push(`imputed: view ${imputed.view}, position ${imputed.position}`);
  for (const w of warnings) lines.push(`warning: ${w}`);
  return lines.join("\n");
}
