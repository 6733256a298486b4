/**
 * The MIMIC layout against PhysioNet's published names (closed cases), and the synthetic generator
 * writing exactly the files and headers the layout declares.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { jpegPath, MIMIC_CXR_TABLES, mimicIvStems, mimicIvTables, physionetFolders } from "../../src/mimic/layout";
import { generate } from "../../src/synth";
import { tempDir } from "../support/tempDir";

test("image paths are files/pXX/pNNNNNNNN/sNNNNNNNN/<dicom_id>.jpg", () => {
  assert.equal(
    jpegPath("/data/mimic-cxr-jpg/2.0.0", 10000032, 50414267, "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"),
    "/data/mimic-cxr-jpg/2.0.0/files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.jpg",
  );
  // The appended form against path.join on roots and ids that need normalising.
  for (const root of ["/data/x", "/data//x/", "/", "", ".", "rel/../x", "/a/./b/"])
    for (const id of ["ab-12", "", "..", "a/b", "../up", "a\\b"])
      for (const root2 of [root, "/other"])
        assert.equal(
          jpegPath(root2, 10000032, 5, id),
          path.join(root2, "files", "p10", "p10000032", "s5", `${id}.jpg`),
          `${root2} ${id}`,
        );
});

test("MIMIC-IV 2.x keeps the hospital tables in hosp/, 1.0 in core/; ICU stays in icu/ in both", () => {
  assert.equal(mimicIvTables("v2").patients.stem, "hosp/patients");
  assert.equal(mimicIvTables("v1").admissions.stem, "core/admissions");
  assert.deepEqual(mimicIvStems("admissions"), ["hosp/admissions", "core/admissions"]);
  assert.deepEqual(mimicIvStems("icustays"), ["icu/icustays"]);
  assert.ok(mimicIvTables("v2").admissions.columns.includes("race"));
  assert.ok(mimicIvTables("v1").admissions.columns.includes("ethnicity"));
  assert.deepEqual(physionetFolders("/p", "v1"), { mimicCxr: "/p/mimic-cxr-jpg/2.0.0", mimicIv: "/p/mimiciv/1.0" });
});

for (const layout of ["v2", "v1"] as const) {
  test(`the generator writes the layout's files with its headers (${layout})`, async () => {
    const r = await generate({ dir: tempDir("mimic-layout"), patients: 5, seed: 1, layout, quiet: true });
    const iv = mimicIvTables(layout);
    const expected = [
      ...Object.values(MIMIC_CXR_TABLES).map((t) => [path.join(r.mimicCxr, `${t.stem}.csv.gz`), t.columns] as const),
      ...Object.values(iv).map((t) => [path.join(r.mimicIv, `${t.stem}.csv.gz`), t.columns] as const),
    ];
    for (const [file, columns] of expected) {
      const header = zlib.gunzipSync(fs.readFileSync(file)).toString("utf8").split("\n")[0];
      assert.equal(header, columns.join(","), file);
    }
    // No temporary file of the atomic writes is left behind.
    const left = fs.readdirSync(r.dir, { recursive: true }).filter((f) => String(f).includes(".tmp-"));
    assert.deepEqual(left, []);
  });
}
