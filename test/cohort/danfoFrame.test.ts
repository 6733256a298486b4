import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as aq from "arquero";
import type { DataFrame } from "danfojs-node";
import { danfoDtype, LARGE_FRAME_ROWS, toDanfo } from "../../src/cohort/danfoFrame";

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
  const small: string[] = [];
  toDanfo(aq.table({ x: [1, 2] }), { warn: (m) => small.push(m) }).sortValues("x");
  assert.deepEqual(small, []);
});
