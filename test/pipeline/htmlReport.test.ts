import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as aq from "arquero";
import { InputError } from "../../src/util/errors";
import { forestPlot } from "../../src/viz/forestPlot";
import { plotlyLibrary } from "../../src/pipeline/plotly";
import { figureHtml, renderText, scriptJson, tableHtml } from "../../src/pipeline/render";
import { report } from "../../src/pipeline/htmlReport";
import { trainingCurves } from "../../src/viz/training";

const fig = forestPlot([
  { model: "Vanilla MSN", metric: "AUROC", value: 0.708, lo: 0.704, hi: 0.711 },
  { model: "MSN </script><b>x", metric: "AUROC", value: 0.728, lo: 0.724, hi: 0.731 },
]);

const table = aq.table({
  dicom_id: ["d-1", "d-2", "d-3"],
  subject_id: [10000032, 10000033, 10000034],
  split: ["train", "test", "train"],
  age: [52.5, 61, 70.25],
});

test("JSON inside a script element cannot close it", () => {
  const s = scriptJson({ name: "a </script> b & c", line: "x\u2028y" });
  assert.ok(!s.includes("</script"));
  assert.ok(!s.includes("\u2028"));
  assert.deepEqual(JSON.parse(s), { name: "a </script> b & c", line: "x\u2028y" });
  const html = figureHtml(fig, { id: "plot-1" });
  assert.equal(html.match(/<\/script>/g)?.length, 1);
  assert.match(html, /<div id="plot-1" class="ehr-msn-plot" style="width:100%;height:\d+px;"><\/div>/);
  assert.match(html, /Plotly\.newPlot\(el, spec\.data, spec\.layout, spec\.config\)/);
  assert.ok(!html.includes("plotly.js v3"), "no library unless asked");
  assert.ok(
    figureHtml(fig, { includePlotly: true }).startsWith(
      `<script type="text/javascript">${plotlyLibrary().slice(0, 100)}`,
    ),
  );
});

test("tables render with identifier columns hidden unless asked, and say so", () => {
  const html = tableHtml(table);
  assert.match(html, /<th>split<\/th><th>age<\/th>/);
  assert.match(html, /<td>test<\/td><td>61<\/td>/);
  assert.ok(!html.includes("d-1") && !html.includes("10000032"));
  assert.match(html, /3 rows × 4 columns; identifier columns hidden: dicom_id, subject_id/);
  assert.match(tableHtml(table, { showIds: true }), /<th>dicom_id<\/th>.*<td>d-2<\/td>/s);
  assert.match(tableHtml(table, { maxRows: 2 }), /first 2 shown/);
  assert.equal(renderText(table).split("\n")[0], "split  age");
  assert.equal(renderText(table).split("\n")[2], "train  52.5");
});

test("report() writes one self-contained offline HTML file with plotly.js inlined once", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-report-"));
  try {
    const curves = trainingCurves().append(1, { loss: 2 }).append(2, { loss: 1.5 });
    const file = report({
      title: "Demo <run>",
      file: path.join(dir, "sub", "report.html"),
      sections: [
        { heading: "Results" },
        "Linear probing on the test split.\n\nSecond paragraph & more.",
        fig,
        table,
        curves,
        { html: "<p id=raw>raw</p>" },
      ],
    });
    assert.equal(file, path.join(dir, "sub", "report.html"));
    const html = fs.readFileSync(file, "utf8");
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.match(html, /<title>Demo &lt;run&gt;<\/title>/);
    assert.equal(html.split("* plotly.js v3.7.0").length - 1, 1, "plotly.js exactly once");
    assert.equal(html.match(/class="ehr-msn-plot"/g)?.length, 2);
    assert.match(html, /<h2>Results<\/h2>/);
    assert.match(html, /<p>Second paragraph &amp; more\.<\/p>/);
    assert.match(html, /<p id=raw>raw<\/p>/);
    assert.ok(!/<script[^>]+src=|<link[^>]+href=/i.test(html), "nothing loaded from elsewhere");
    const ours = html.replace(plotlyLibrary(), "");
    assert.ok(ours.length < 20000);
    assert.ok(!ours.includes("d-1") && !ours.includes("10000032"), "no identifiers");
    // The trace name with "</script>" is escaped inside the figure's JSON.
    assert.ok(html.includes("MSN \\u003c/script\\u003e\\u003cb\\u003ex"));
    // A report with no figure carries no plotly.js.
    const small = report({ title: "t", file: path.join(dir, "small.html"), sections: ["text only"] });
    assert.ok(fs.statSync(small).size < 5000);
    assert.throws(() => report({ title: "", file: path.join(dir, "x.html"), sections: [] }), InputError);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
