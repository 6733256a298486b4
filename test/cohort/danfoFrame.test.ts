import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as aq from "arquero";
import type { DataFrame } from "danfojs-node";
import { danfoDtype, LARGE_FRAME_ROWS, MANY_GROUPS, toDanfo } from "../../src/cohort/danfoFrame";

// danfo loads TensorFlow.js: once per file.
const dfd = require("danfojs-node") as typeof import("danfojs-node");

const COLUMNS = {
  id: [3, 1, 2, 5],
  age: [40, null, 63.5, 18],
  sex: ["F", "M", null, "F"],
  icu: [0, 1, 1, 0],
  flag: [true, false, true, true],
};

/** The fields danfo's operations read, for comparing two frames. */
function fields(df: DataFrame) {
  return { values: df.values, columns: df.columns, dtypes: df.dtypes, index: df.index, shape: df.shape };
}

test("toDanfo builds the DataFrame danfo's own constructor builds, field by field and in use", () => {
  const fast = toDanfo(aq.table(COLUMNS));
  const slow = new dfd.DataFrame(COLUMNS);
  assert.deepEqual(fields(fast), fields(slow));
  assert.deepEqual(fast["sex"].values, slow["sex"].values);
  assert.deepEqual(fields(fast.query(fast["icu"].eq(1))), fields(slow.query(slow["icu"].eq(1))));
  assert.deepEqual(fields(fast.loc({ columns: ["id", "sex"] })), fields(slow.loc({ columns: ["id", "sex"] })));
  assert.equal(fast["id"].sum(), slow["id"].sum());
  assert.deepEqual(
    fields(fast.groupby(["sex"]).count() as DataFrame),
    fields(slow.groupby(["sex"]).count() as DataFrame),
  );
});

test("rows are made on the first read; until then shape, columns and query work from the columns", () => {
  const fast = toDanfo(aq.table(COLUMNS));
  const slow = new dfd.DataFrame(COLUMNS);
  const made = () => !Object.getOwnPropertyDescriptor(fast, "$data")!.get;
  assert.deepEqual(fast.shape, [4, 5]);
  const q = fast.query(fast["age"].gt(10));
  assert.equal(made(), false, "shape, a column and query leave the rows unmade");
  assert.deepEqual(fields(q), fields(slow.query(slow["age"].gt(10))));
  const loc = fast.loc({ rows: fast["icu"].eq(1), columns: ["sex", "id"] });
  assert.equal(made(), false, "and so does loc with a mask and column names");
  assert.deepEqual(fields(loc), fields(slow.loc({ rows: slow["icu"].eq(1), columns: ["sex", "id"] })));
  assert.deepEqual(fields(fast.loc({ columns: ["age:icu"] })), fields(slow.loc({ columns: ["age:icu"] })));
  assert.deepEqual(fast.values, slow.values);
  assert.equal(made(), true);
  // A query of a query: danfo's own reads the kept index labels as positions and fails.
  const qq = q.query(q["sex"].eq("F"));
  assert.deepEqual(qq.index, [0, 3]);
  assert.deepEqual(qq.values, [
    [3, 40, "F", 0, true],
    [5, 18, "F", 0, true],
  ]);
  assert.throws(() => {
    const danfoQ = slow.query(slow["age"].gt(10));
    danfoQ.query(danfoQ["sex"].eq("F"));
  });
  // What the columnar query does not take goes to danfo's (and its errors).
  assert.deepEqual(fields(fast.query([0, 2] as never)), fields(slow.query([0, 2] as never)));
  assert.throws(() => fast.query(undefined as never), /condition/);
  const inplace = toDanfo(aq.table(COLUMNS));
  inplace.query(inplace["icu"].eq(1), { inplace: true });
  assert.deepEqual(inplace.values, [
    [1, null, "M", 1, false],
    [2, 63.5, null, 1, true],
  ]);
});

test("dtypes are inferred over whole columns (danfo looks at the first 500 values only)", () => {
  assert.equal(danfoDtype([1, 2, 3]), "int32");
  assert.equal(danfoDtype([1, null, 3]), "float32");
  assert.equal(danfoDtype([...Array(600).fill(1), 1.5]), "float32");
  assert.equal(danfoDtype([...Array(600).fill(1), "x"]), "string");
  assert.equal(danfoDtype([true, false]), "boolean");
  assert.equal(danfoDtype([new Date(0)]), "datetime");
  const late = toDanfo(aq.table({ x: [...Array(600).fill(1), 2.5] }));
  assert.deepEqual(late.dtypes, ["float32"]);
});

test("on a large frame, the first call of a danfo method that blows up at this size says what to use", () => {
  const warnings: string[] = [];
  const big = toDanfo(aq.table({ x: Array.from({ length: LARGE_FRAME_ROWS + 1 }, (_, i) => i % 7) }), {
    warn: (m) => warnings.push(m),
  });
  const sorted = big.sortValues("x", { ascending: false }) as DataFrame;
  big.sortValues("x");
  assert.equal(sorted.iat(0, 0), 6, "the wrapped method still does its work");
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /sortValues\(\).*50001 rows.*orderby/);
  // groupby only over many groups (patients, studies): over a handful it takes a second or two.
  const grouped: string[] = [];
  const rows = Array.from({ length: LARGE_FRAME_ROWS + 1 }, (_, i) => i);
  const frame = toDanfo(aq.table({ few: rows.map((i) => i % 7), many: rows.map((i) => i % (MANY_GROUPS + 1)) }), {
    warn: (m) => grouped.push(m),
  });
  frame.groupby(["few"]);
  assert.deepEqual(grouped, []);
  frame.groupby(["many"]);
  assert.equal(grouped.length, 1);
  assert.match(grouped[0], /groupby\(\).*perPatient/);
  const small: string[] = [];
  toDanfo(aq.table({ x: [1, 2] }), { warn: (m) => small.push(m) }).sortValues("x");
  assert.deepEqual(small, []);
});
