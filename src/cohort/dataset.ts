/**
 * The objects `cohort.build`, `cohort.chexpert` and `cohort.nih` return: an arquero table with one row
 * per image, its splits, label matrices and (for MIMIC) EHR feature matrices.
 */
import type { ColumnTable } from "arquero";
import type { DataFrame } from "danfojs-node";
import { CHEXPERT_LABELS } from "../util/labels";
import type { NamedMatrix } from "../util/matrix";
import type { Cohort, CohortReport, CohortSummary, LabelledDataset, SplitName, SplitSelector } from "./types";
import { SPLIT_NAMES } from "./types";
import {
  encodeFeatures,
  featureColumns,
  FEATURE_SETS,
  FeatureBlock,
  FEATURE_BLOCKS,
  resolveFeatures,
} from "./features";
import { summarize } from "./summary";
import { toDanfo } from "./danfoFrame";
import { InputError, describeValue } from "../util/errors";

/** A table of images with label columns and a `split` column. */
export class LabelledTable implements LabelledDataset {
  private readonly cache = new Map<string, ColumnTable>();

  /**
   * @param pretrainSplit the split `split("pretrain")` returns, or "all".
   */
  constructor(
    readonly table: ColumnTable,
    readonly labelNames: readonly string[],
    readonly report: CohortReport,
    readonly pretrainSplit: SplitName | "all" = "train",
  ) {}

  /** The rows of a split, in table order; "pretrain" is `pretrainSplit`; "all" every row. */
  split(name: SplitSelector): ColumnTable {
    if (name !== "pretrain" && name !== "all" && !(SPLIT_NAMES as readonly string[]).includes(name)) {
      throw new InputError({
        field: "split",
        expected: `one of ${[...SPLIT_NAMES, "pretrain", "all"].join(", ")}`,
        found: describeValue(name),
      });
    }
    const which = name === "pretrain" ? this.pretrainSplit : name;
    if (which === "all") return this.table;
    let t = this.cache.get(which);
    if (!t) {
      const splits = this.table.array("split") as string[];
      const idx: number[] = [];
      for (let i = 0; i < splits.length; i++) if (splits[i] === which) idx.push(i);
      t = this.table.reify(idx);
      this.cache.set(which, t);
    }
    return t;
  }

  /** n x labels, row-major, in table order. */
  labels(split: SplitSelector): NamedMatrix {
    const t = this.split(split);
    const n = t.numRows();
    const k = this.labelNames.length;
    const values = new Float32Array(n * k);
    this.labelNames.forEach((name, j) => {
      const col = t.array(name);
      for (let i = 0; i < n; i++) values[i * k + j] = col[i] as number;
    });
    return { rows: n, cols: k, names: [...this.labelNames], values };
  }

  /** A danfo DataFrame of `table` (default: the whole table), for display; loads danfo on first use. */
  toDanfo(table: ColumnTable = this.table): DataFrame {
    return toDanfo(table);
  }
}

/** The MIMIC-CXR cohort: labels plus EHR features. */
export class MimicCohort extends LabelledTable implements Cohort {
  constructor(
    table: ColumnTable,
    report: CohortReport,
    readonly ageBounds: { min: number; max: number },
    pretrainSplit: SplitName | "all",
  ) {
    super(table, CHEXPERT_LABELS, report, pretrainSplit);
  }

  features(spec: string | readonly string[], split: SplitSelector): NamedMatrix {
    const blocks = resolveFeatures(spec);
    const t = this.split(split);
    const col = (name: string) => t.array(name) as unknown as ArrayLike<never>;
    return encodeFeatures(
      {
        age: col("age"),
        sex: col("sex"),
        view: col("view"),
        position: col("position"),
        icu: col("icu"),
        mortality: col("mortality"),
      },
      blocks,
      this.ageBounds,
    );
  }

  featureSets(): { name: string; dim: number; columns: string[] }[] {
    const sets = Object.entries(FEATURE_SETS).map(([name, blocks]) => ({ name, columns: featureColumns(blocks) }));
    const singles = (Object.keys(FEATURE_BLOCKS) as FeatureBlock[]).map((b) => ({
      name: b,
      columns: featureColumns([b]),
    }));
    return [...sets, ...singles].map((s) => ({ ...s, dim: s.columns.length }));
  }

  summary(): CohortSummary {
    return summarize(this.table, this.labelNames, ["sex", "view", "position", "icu", "mortality"]);
  }
}
