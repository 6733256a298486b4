import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as aq from "arquero";
import * as dfd from "danfojs-node";
import {
  initNotebookMode,
  inKernel,
  liveDisplay,
  mimeBundle,
  registerNotebookProgress,
  show,
} from "../../src/notebook/display";
import { progress, setProgressRenderer } from "../../src/util/progress";
import { forestPlot } from "../../src/viz/forestPlot";
import { plotlyLibrary } from "../../src/pipeline/plotly";
import { trainingCurves } from "../../src/viz/training";

delete process.env.EHR_MSN_QUIET;

const fig = forestPlot([{ model: "a </script> b", metric: "AUROC", value: 0.7, lo: 0.68, hi: 0.72 }], {
  title: "Forest",
});
const PLOTLY_JSON = "application/vnd.plotly.v1+json";

interface Sent {
  msg: { data: Record<string, unknown>; transient: { display_id?: string } };
  update: boolean;
}

/**
 * A stand-in for a tslab kernel: globalThis.__tslab__.require("tslab") returns a module whose
 * dist/jupyter.js records what would go to the front end, as tslab's lastWriteDisplayData does.
 */
function fakeKernel(): { sent: Sent[]; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-tslab-"));
  fs.mkdirSync(path.join(dir, "dist"));
  fs.writeFileSync(path.join(dir, "dist", "public.js"), "exports.display = {};\n");
  fs.writeFileSync(
    path.join(dir, "dist", "jupyter.js"),
    "exports.lastWriteDisplayData = (msg, update) => globalThis.__fakeSent.push({ msg, update });\n",
  );
  const sent: Sent[] = [];
  const g = globalThis as Record<string, unknown>;
  g.__fakeSent = sent;
  const pub = require(path.join(dir, "dist", "public.js"));
  g.__tslab__ = { exports: {}, require: (id: string) => (id === "tslab" ? pub : require(id)) };
  return {
    sent,
    remove: () => {
      delete g.__tslab__;
      delete g.__fakeSent;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function captureLog(f: () => void): string {
  const orig = console.log;
  let out = "";
  console.log = (...a: unknown[]) => {
    out += a.join(" ") + "\n";
  };
  try {
    f();
  } finally {
    console.log = orig;
  }
  return out;
}

test("a figure's MIME bundle: Plotly JSON, HTML (plotly.js only when asked, JSON escaped) and plain text", () => {
  const b = mimeBundle(fig);
  assert.deepEqual(Object.keys(b), [PLOTLY_JSON, "text/html", "text/plain"]);
  assert.deepEqual(b[PLOTLY_JSON], { data: fig.data, layout: fig.layout, config: fig.config });
  assert.equal(b["text/plain"], 'Plotly figure "Forest": 1 traces (1 scatter)');
  const html = String(b["text/html"]);
  assert.ok(!html.includes("a </script> b") && html.includes("a \\u003c/script\\u003e b"));
  assert.ok(html.length < 20000);
  assert.ok(String(mimeBundle(fig, { inlinePlotly: true })["text/html"]).includes(plotlyLibrary()));
  assert.deepEqual(mimeBundle("plain words"), { "text/plain": "plain words" });
});

test("outside a kernel show() prints plain text and does not throw", () => {
  assert.equal(inKernel(), false);
  assert.equal(registerNotebookProgress(), false);
  assert.equal(
    captureLog(() => show(fig)),
    'Plotly figure "Forest": 1 traces (1 scatter)\n',
  );
  const t = aq.table({ dicom_id: ["d-1"], view: ["PA"], images: [3] });
  assert.equal(
    captureLog(() => show(t)),
    "view  images\n----  ------\nPA    3\n1 rows × 3 columns; identifier columns hidden: dicom_id (pass { showIds: true } to show them)\n",
  );
  assert.equal(
    captureLog(() => liveDisplay().update("step 1")),
    "step 1\n",
  );
});

test("inside tslab: one output per figure, plotly.js once per session, tables and summaries as HTML, in-place updates", async () => {
  const k = fakeKernel();
  try {
    assert.equal(inKernel(), true);
    show(fig);
    show(fig);
    assert.equal(k.sent.length, 2);
    assert.deepEqual(
      k.sent.map((s) => [Object.keys(s.msg.data), s.update, s.msg.transient]),
      [
        [[PLOTLY_JSON, "text/html", "text/plain"], false, {}],
        [[PLOTLY_JSON, "text/html", "text/plain"], false, {}],
      ],
    );
    assert.ok(String(k.sent[0].msg.data["text/html"]).includes("* plotly.js v3.7.0"));
    assert.ok(!String(k.sent[1].msg.data["text/html"]).includes("* plotly.js v3.7.0"));

    const df = new dfd.DataFrame({ subject_id: [10000032, 10000033], view: ["PA", "AP"], age: [52, 61] });
    show(df);
    const dfHtml = String(k.sent[2].msg.data["text/html"]);
    assert.match(dfHtml, /<th>view<\/th><th>age<\/th>/);
    assert.match(dfHtml, /<td>AP<\/td><td>61<\/td>/);
    assert.ok(!dfHtml.includes("10000032"));

    show({ html: () => "<b>1,000 images</b>", text: () => "1,000 images" });
    assert.deepEqual(k.sent[3].msg.data, { "text/html": "<b>1,000 images</b>", "text/plain": "1,000 images" });
    // A cohort report renders itself as text only: shown preformatted.
    show({ steps: [], text: () => "read 3 files\n2 rows dropped: no <view>" });
    k.sent.splice(4, 1).forEach((s) =>
      assert.deepEqual(s.msg.data, {
        "text/html": '<pre style="white-space:pre-wrap">read 3 files\n2 rows dropped: no &lt;view&gt;</pre>',
        "text/plain": "read 3 files\n2 rows dropped: no <view>",
      }),
    );
    show({ summary: () => ({ images: 10, patients: 4 }) });
    assert.match(String(k.sent[4].msg.data["text/html"]), /<th style="text-align:left">images<\/th><td>10<\/td>/);

    const d = liveDisplay();
    d.update("epoch 1");
    d.update("epoch 2");
    assert.deepEqual(
      k.sent.slice(5).map((s) => [s.msg.data["text/plain"], s.update, s.msg.transient.display_id]),
      [
        ["epoch 1", false, d.id],
        ["epoch 2", true, d.id],
      ],
    );

    // Live training curves: plotly.js first as an output of its own (after initNotebookMode),
    // then one display that follows the curves; finish() redraws at once.
    k.sent.length = 0;
    initNotebookMode();
    const curves = trainingCurves({ title: "pretraining" });
    show(curves);
    curves.append(1, { loss: 2 });
    curves.append(2, { loss: 1 });
    curves.finish();
    assert.ok(String(k.sent[0].msg.data["text/html"]).includes(plotlyLibrary()));
    assert.equal(k.sent[0].msg.transient.display_id, undefined);
    const live = k.sent.slice(1);
    const id = live[0].msg.transient.display_id;
    assert.ok(id && live.every((s) => s.msg.transient.display_id === id));
    assert.deepEqual(
      live.map((s) => s.update),
      [false, ...live.slice(1).map(() => true)],
    );
    const last = live[live.length - 1].msg.data[PLOTLY_JSON] as {
      data: { y: number[] }[];
      layout: { title: { text: string } };
    };
    assert.deepEqual(last.data[0].y, [2, 1]);
    assert.equal(last.layout.title.text, "pretraining (finished)");
    // While it grows it is HTML only (jupyterlab-plotly would draw the first state and ignore the updates);
    // finished, the whole bundle with the Plotly figure.
    assert.deepEqual(
      live.map((s) => Object.keys(s.msg.data)),
      [...live.slice(1).map(() => ["text/html", "text/plain"]), [PLOTLY_JSON, "text/html", "text/plain"]],
    );
    assert.match(String(live[0].msg.data["text/html"]), /"data":\[\][\s\S]*Plotly\.newPlot/);
    assert.ok(live.every((s) => !String(s.msg.data["text/html"]).includes("* plotly.js v3.7.0")));
    const before = k.sent.length;
    show(curves);
    assert.equal(k.sent.length, before + 1);
    assert.equal(k.sent[before].update, true);

    // progress() anywhere in the library now draws one line in place.
    k.sent.length = 0;
    assert.equal(registerNotebookProgress(), true);
    const bar = progress("caching images", 3, { unit: "img", minIntervalMs: 0 });
    bar.tick();
    bar.tick();
    bar.tick();
    bar.finish();
    assert.equal(k.sent.length, 4);
    const pid = k.sent[0].msg.transient.display_id;
    assert.ok(pid && k.sent.every((s) => s.msg.transient.display_id === pid));
    assert.deepEqual(
      k.sent.map((s) => s.update),
      [false, true, true, true],
    );
    assert.match(String(k.sent[3].msg.data["text/plain"]), /^caching images {2}3\/3 img 100% .* in /);
    assert.match(String(k.sent[0].msg.data["text/html"]), /<progress value="1" max="3"/);
  } finally {
    setProgressRenderer(undefined);
    k.remove();
  }
});
