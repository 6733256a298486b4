/**
 * Integer id (subject_id, study_id, a 53-bit hash of a dicom_id) -> row number, in typed arrays with
 * open addressing.
 *
 * Hand-written rather than a `Map`: at MIMIC's size the cohort makes some 2M lookups, and in
 * `npm run bench -- cohort` `Map` spent ~150 ms of a 1.1 s build on them; this takes a third of that
 * (and leaves nothing for the garbage collector).
 */
export class IdIndex {
  private readonly keys: Float64Array;
  /** row + 1 of each slot's id; 0 marks an empty slot (so new arrays need no filling). */
  private readonly rows: Int32Array;
  private readonly mask: number;

  /** Room for `capacity` ids (at most half the slots are used, so probes stay short). */
  constructor(capacity: number) {
    let slots = 16;
    while (slots < 2 * capacity) slots *= 2;
    this.keys = new Float64Array(slots);
    this.rows = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** The row of `id`, or -1. */
  get(id: number): number {
    return this.rows[this.slot(id)] - 1;
  }

  /** Adds `id` -> `row` and returns -1, or, when `id` is there already, leaves it and returns its row. */
  add(id: number, row: number): number {
    const i = this.slot(id);
    if (this.rows[i] > 0) return this.rows[i] - 1;
    this.keys[i] = id;
    this.rows[i] = row + 1;
    return -1;
  }

  /** The slot holding `id`, or the empty one where it would go (ids are integers up to 2^53). */
  private slot(id: number): number {
    let h = Math.imul((id | 0) ^ Math.imul((id / 4294967296) | 0, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & this.mask;
    for (;;) {
      if (this.rows[i] === 0 || this.keys[i] === id) return i;
      i = (i + 1) & this.mask;
    }
  }
}

/**
 * `index.get(ids[i])`, looked up only when the id differs from the last one asked: the ids come in
 * runs (a subject's images, a study's images, one after another), and at MIMIC's size a lookup is a
 * cache miss.
 */
export function runLookup(index: IdIndex, ids: ArrayLike<number>): (i: number) => number {
  let last = NaN;
  let found = -1;
  return (i) => {
    if (ids[i] !== last) {
      last = ids[i];
      found = index.get(last);
    }
    return found;
  };
}
