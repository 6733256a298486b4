/**
 * What each CheXpert finding, the support devices and ICU monitoring look like on a phantom.
 * Findings that change the geometry (cardiomegaly, enlarged cardiomediastinum, atelectasis's
 * volume loss, a pneumothorax's collapse, rib fractures) act before the anatomy is drawn
 * (`prepareFindings`); the rest are painted on top (`drawFindings`). docs/phantoms.md lists them.
 */
import type { ChexpertLabel } from "../../util/labels";
import type { Rng } from "../../util/random";
import type { LungField, Rib, Thorax } from "./anatomy";
import { bezier, insidePolygon, scaleAbout, type Layer, type Painter, type Pt } from "./painter";

/** The float layers a phantom is composed from (see render.ts for how they combine). */
export interface Layers {
  /** Inside the body outline (its projected thickness is added when the film is exposed). */
  body: Layer;
  /** Soft-tissue density (body, heart, mediastinum, fluid-free soft tissue). */
  tissue: Layer;
  bone: Layer;
  /** Air column: 1 in an aerated lung, more in a pneumothorax, some in airways and the stomach. */
  air: Layer;
  /** Aerated lung parenchyma (where vessels and texture show). */
  paren: Layer;
  /** Vascular markings, shown where there is parenchyma. */
  mark: Layer;
  /** Opacity filling the air spaces (0 clear, 1 airless). */
  patho: Layer;
  /** Metal and radio-opaque plastic. */
  device: Layer;
}

export interface Scene {
  p: Painter;
  L: Layers;
  t: Thorax;
  recumbent: boolean;
  /** Coverage of each lung field's outline. */
  masks: Layer[];
}

/** Severity of each finding on this film: 0 absent, about 0.15-0.35 uncertain, 0.45-1 positive. */
export type Severities = Record<ChexpertLabel, number>;

/** Fields a unilateral finding affects: one side, sometimes both (bilateral). */
function sides(rng: Rng, pBoth: number): number[] {
  if (rng.bernoulli(pBoth)) return [0, 1];
  return [rng.int(2)];
}

/** Geometry changes, before the anatomy is drawn. Returns fracture sites for `drawFindings`. */
export function prepareFindings(t: Thorax, sev: Severities, rng: Rng): { fractures: Pt[] } {
  const ptx = sev.Pneumothorax;
  if (ptx > 0) t.lungs[sideOf(rng.fork("Pneumothorax"))].collapse = 1 - (0.12 + 0.35 * ptx);
  const fractures: Pt[] = [];
  if (sev.Fracture > 0) fractures.push(...fractureRibs(t, sev.Fracture, rng.fork("fracture")));
  return { fractures };
}

/**
 * Rib fractures: 1-3 consecutive posterior ribs of one side broken in their lateral half,
 * with a gap and a step (displacement growing with severity).
 */
function fractureRibs(t: Thorax, s: number, rng: Rng): Pt[] {
  const field = rng.int(2);
  const candidates = t.ribs.filter((r) => r.posterior && r.field === field);
  const n = 1 + (s > 0.6 ? 1 : 0) + (s > 0.85 ? 1 : 0);
  const first = 2 + rng.int(Math.max(1, candidates.length - 3 - n));
  const tf = rng.range(0.5, 0.85);
  const step = 0.004 + 0.012 * s;
  const sites: Pt[] = [];
  for (const rib of candidates.slice(first, first + n)) {
    const m = Math.max(1, Math.min(rib.pts.length - 2, Math.round(tf * (rib.pts.length - 1))));
    const a = rib.pts[m - 1],
      b = rib.pts[m];
    const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const ux = (b.x - a.x) / len,
      uy = (b.y - a.y) / len;
    const gap = 0.004;
    const head: Rib = { ...rib, pts: [...rib.pts.slice(0, m), { x: b.x - gap * ux, y: b.y - gap * uy }] };
    // The distal fragment is displaced downwards, perpendicular to the rib.
    const dx = -uy * step,
      dy = ux * step;
    const sgn = dy >= 0 ? 1 : -1;
    const tail: Rib = {
      ...rib,
      pts: [{ x: b.x + gap * ux, y: b.y + gap * uy }, ...rib.pts.slice(m + 1)].map((p) => ({
        x: p.x + sgn * dx,
        y: p.y + sgn * dy,
      })),
    };
    t.ribs.splice(t.ribs.indexOf(rib), 1, head, tail);
    sites.push(b);
  }
  return sites;
}

/** Paints every present finding, the devices and the ICU monitoring electrodes. */
export function drawFindings(sc: Scene, sev: Severities, icu: boolean, fractures: Pt[], rng: Rng): void {
  const f = (label: ChexpertLabel) => rng.fork(label);
  if (sev["Pleural Effusion"] > 0) effusion(sc, sev["Pleural Effusion"], f("Pleural Effusion"));
  if (sev.Edema > 0) edema(sc, sev.Edema, f("Edema"));
  if (sev.Consolidation > 0) consolidation(sc, sev.Consolidation, f("Consolidation"));
  if (sev.Pneumonia > 0) pneumonia(sc, sev.Pneumonia, f("Pneumonia"));
  if (sev["Lung Opacity"] > 0) lungOpacity(sc, sev["Lung Opacity"], f("Lung Opacity"));
  if (sev.Atelectasis > 0) atelectasis(sc, sev.Atelectasis, f("Atelectasis"));
  if (sev["Lung Lesion"] > 0) lesion(sc, sev["Lung Lesion"], f("Lung Lesion"));
  if (sev["Pleural Other"] > 0) pleuralOther(sc, sev["Pleural Other"], f("Pleural Other"));
  if (sev.Pneumothorax > 0) pneumothorax(sc, sev.Pneumothorax);
  for (const c of fractures) {
    // A healing fracture shows callus.
    if (rng.fork("callus").bernoulli(0.5)) sc.p.blob(sc.L.bone, c, 0.009, 0.12 * sev.Fracture);
  }
  if (sev["Support Devices"] > 0) devices(sc, sev["Support Devices"], f("Support Devices"));
  // ICU patients are monitored: ECG electrodes on the chest (sometimes also elsewhere, e.g. the ED).
  const ecg = rng.fork("ecg");
  if (ecg.bernoulli(icu ? 0.9 : 0.08)) electrodes(sc, ecg);
}

/** A point inside lung field `k`, at vertical fraction `v` (0 apex, 1 base) and outward fraction `o` ranges. */
function pointIn(lung: LungField, rng: Rng, v: [number, number], o: [number, number], margin = 0.015): Pt {
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (const p of lung.outline) {
    x0 = Math.min(x0, p.x);
    x1 = Math.max(x1, p.x);
    y0 = Math.min(y0, p.y);
    y1 = Math.max(y1, p.y);
  }
  let fallback: Pt = lung.hilum;
  for (let tries = 0; tries < 200; tries++) {
    const y = y0 + (y1 - y0) * rng.range(v[0], v[1]);
    const of = rng.range(o[0], o[1]);
    const x = lung.outward > 0 ? x0 + (x1 - x0) * of : x1 - (x1 - x0) * of;
    const p = { x, y };
    if (!insidePolygon(p, lung.outline)) continue;
    fallback = p;
    const ok = [
      [margin, 0],
      [-margin, 0],
      [0, margin],
      [0, -margin],
    ].every(([dx, dy]) => insidePolygon({ x: x + dx, y: y + dy }, lung.outline));
    if (ok) return p;
  }
  return fallback;
}

/** Adds `value * lungMask * weight(x, y)` over the box (normalised coordinates in `weight`). */
function paintInLung(
  sc: Scene,
  k: number,
  box: { x0: number; y0: number; x1: number; y1: number },
  value: number,
  weight: (q: Pt) => number,
  layer: Layer = sc.L.patho,
): void {
  const m = sc.masks[k];
  const corners = [
    sc.p.toPixel({ x: box.x0, y: box.y0 }),
    sc.p.toPixel({ x: box.x1, y: box.y0 }),
    sc.p.toPixel({ x: box.x0, y: box.y1 }),
    sc.p.toPixel({ x: box.x1, y: box.y1 }),
  ];
  const xs = corners.map((c) => c.x),
    ys = corners.map((c) => c.y);
  sc.p.forBox(Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys), (i, x, y) => {
    if (m[i] <= 0) return;
    const w = weight(sc.p.toNorm(x, y));
    if (w > 0) layer[i] += value * m[i] * w;
  });
}

function smooth(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

function lungBox(l: LungField): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (const p of l.outline) {
    x0 = Math.min(x0, p.x);
    x1 = Math.max(x1, p.x);
    y0 = Math.min(y0, p.y);
    y1 = Math.max(y1, p.y);
  }
  return { x0, y0, x1, y1 };
}

/**
 * Pleural effusion. Erect: fluid fills the costophrenic angle with a meniscus rising along the
 * chest wall (blunted angle), its height growing with severity. Recumbent: the fluid layers
 * behind the lung as a veil over the hemithorax, denser towards the base.
 */
function effusion(sc: Scene, s: number, rng: Rng): void {
  for (const k of sides(rng, 0.35)) {
    const l = sc.t.lungs[k];
    const box = lungBox(l);
    const d = l.diaphragm;
    const xm = d[0].x,
      xc = d[d.length - 1].x,
      cpY = d[d.length - 1].y;
    if (sc.recumbent) {
      const h = box.y1 - box.y0;
      paintInLung(sc, k, box, 0.28 + 0.3 * s, (q) => 0.35 + (0.65 * smooth(box.y0, box.y1, q.y) * (q.y - box.y0)) / h);
      continue;
    }
    const level = cpY - ((0.02 + 0.16 * s) * (box.y1 - box.y0)) / 0.5;
    const rise = 0.03 + 0.03 * rng.uniform();
    paintInLung(sc, k, { ...box, y0: level - rise - 0.01 }, 1, (q) => {
      const o = Math.min(1, Math.max(0, (q.x - xm) / (xc - xm)));
      return smooth(-0.004, 0.004, q.y - (level - rise * o * o));
    });
  }
}

/** Pulmonary edema: bilateral perihilar (bat-wing) haze and Kerley B lines at the lung bases. */
function edema(sc: Scene, s: number, rng: Rng): void {
  const frontal = sc.t.projection === "frontal";
  for (const l of sc.t.lungs) {
    const c = { x: l.hilum.x + l.outward * 0.03, y: l.hilum.y + 0.02 };
    sc.p.blob(sc.L.patho, c, 0.06 + 0.04 * s, (0.35 + 0.3 * s) * (frontal ? 1 : 0.6), 1.3, 0);
    const box = lungBox(l);
    const nLines = 3 + Math.round(4 * s);
    for (let i = 0; i < nLines; i++) {
      const y = box.y1 - 0.06 - 0.06 * rng.uniform();
      const xw = l.outward > 0 ? box.x1 : box.x0;
      const x = xw - l.outward * (0.012 + 0.01 * rng.uniform());
      sc.p.stroke(
        sc.L.patho,
        [
          { x, y },
          { x: x - l.outward * 0.02, y: y + rng.normal(0, 0.002) },
        ],
        0.0025,
        0.7 * s,
      );
    }
  }
}

/**
 * Lobar consolidation: a dense, homogeneous opacity filling part of one lobe, sharply bounded where
 * it meets a fissure, with air bronchograms (lucent branching airways) inside.
 */
function consolidation(sc: Scene, s: number, rng: Rng): void {
  const k = rng.int(2);
  const l = sc.t.lungs[k];
  const lobe = rng.choice([0.4, 0.2, 0.4]); // upper, middle (lingula), lower
  const v: [number, number] = lobe === 0 ? [0.15, 0.35] : lobe === 1 ? [0.45, 0.65] : [0.65, 0.85];
  const o: [number, number] = lobe === 1 ? [0.15, 0.5] : [0.3, 0.8];
  const c = pointIn(l, rng, v, o);
  const R = 0.08 + 0.07 * s;
  const frontal = sc.t.projection === "frontal";
  // Fissure: horizontal on the frontal film, oblique (through the hilum) on the lateral.
  const fissure = (q: Pt): number => {
    if (lobe === 1) return 1;
    const d = frontal ? l.hilum.y + 0.015 - q.y : (q.x - l.hilum.x) * 0.8 - (q.y - l.hilum.y) * 0.6;
    return smooth(-0.002, 0.002, lobe === 0 ? d : -d);
  };
  const dens = 0.6 + 0.35 * s;
  paintInLung(sc, k, { x0: c.x - R - 0.02, y0: c.y - R - 0.02, x1: c.x + R + 0.02, y1: c.y + R + 0.02 }, dens, (q) => {
    const r = Math.hypot(q.x - c.x, (q.y - c.y) * 1.2) / R;
    return (1 - smooth(0.75, 1.15, r)) * fissure(q);
  });
  bronchograms(sc, l.hilum, c, R, 2 + rng.int(3), rng);
}

/** Lucent branching airways running from the hilum side into an opacity. */
function bronchograms(sc: Scene, hilum: Pt, c: Pt, R: number, n: number, rng: Rng): void {
  const dx = c.x - hilum.x,
    dy = c.y - hilum.y;
  const d = Math.hypot(dx, dy) || 1;
  for (let i = 0; i < n; i++) {
    const start = {
      x: c.x - (dx / d) * R * 0.7 + rng.normal(0, R * 0.15),
      y: c.y - (dy / d) * R * 0.7 + rng.normal(0, R * 0.15),
    };
    const end = {
      x: start.x + (dx / d) * R * 1.1 + rng.normal(0, R * 0.25),
      y: start.y + (dy / d) * R * 1.1 + rng.normal(0, R * 0.25),
    };
    const mid = {
      x: (start.x + end.x) / 2 + rng.normal(0, R * 0.1),
      y: (start.y + end.y) / 2 + rng.normal(0, R * 0.1),
    };
    sc.p.stroke(sc.L.patho, [start, mid, end], 0.005, -0.35);
  }
}

/** Pneumonia: an ill-defined, fluffy airspace opacity in one lung, usually a lower zone, with a few air bronchograms. */
function pneumonia(sc: Scene, s: number, rng: Rng): void {
  const k = rng.int(2);
  const l = sc.t.lungs[k];
  const c = pointIn(l, rng, rng.bernoulli(0.75) ? [0.55, 0.85] : [0.2, 0.55], [0.35, 0.9]);
  const n = 6 + rng.int(4);
  for (let i = 0; i < n; i++) {
    const q = { x: c.x + rng.normal(0, 0.035), y: c.y + rng.normal(0, 0.03) };
    sc.p.blob(sc.L.patho, q, rng.range(0.025, 0.045) * (0.8 + 0.4 * s), rng.range(0.3, 0.45) * (0.7 + 0.5 * s));
  }
  bronchograms(sc, l.hilum, c, 0.05, 2, rng);
}

/** Lung opacity: multifocal patchy opacities in one or both lungs, mid and lower zones. */
function lungOpacity(sc: Scene, s: number, rng: Rng): void {
  for (const k of sides(rng, 0.6)) {
    const l = sc.t.lungs[k];
    const patches = 3 + rng.int(3);
    for (let j = 0; j < patches; j++) {
      const c = pointIn(l, rng, [0.3, 0.85], [0.15, 0.85]);
      for (let i = 0; i < 3; i++) {
        sc.p.blob(
          sc.L.patho,
          { x: c.x + rng.normal(0, 0.02), y: c.y + rng.normal(0, 0.02) },
          rng.range(0.02, 0.035),
          rng.range(0.22, 0.32) * (0.6 + 0.6 * s),
        );
      }
    }
  }
}

/**
 * Atelectasis: plate-like (discoid) linear opacities above the diaphragm; the volume loss that
 * elevates the hemidiaphragm is applied to the geometry. Severe: a dense wedge at the base (lobar collapse).
 */
function atelectasis(sc: Scene, s: number, rng: Rng): void {
  const l = sc.t.lungs[sideOf(rng)];
  const n = 1 + rng.int(2);
  for (let i = 0; i < n; i++) {
    const c = pointIn(l, rng, [0.6, 0.82], [0.25, 0.75], 0.03);
    const half = 0.05 + 0.04 * s;
    const tilt = rng.normal(0, 0.08);
    sc.p.stroke(
      sc.L.patho,
      [
        { x: c.x - half, y: c.y - tilt * half },
        { x: c.x, y: c.y + rng.normal(0, 0.004) },
        { x: c.x + half, y: c.y + tilt * half },
      ],
      0.008 + 0.008 * s,
      0.8,
    );
  }
  if (s > 0.75) {
    const d = l.diaphragm;
    const base = d[Math.floor(d.length * 0.35)];
    sc.p.blob(sc.L.patho, { x: base.x, y: base.y - 0.04 }, 0.035, 0.5 * s, 1.4, 0.4 * l.outward);
  }
}

/**
 * The lung field of a one-sided finding, from the finding's own stream: the geometry step (which
 * hemidiaphragm atelectasis raises, which lung a pneumothorax collapses) and the painting agree.
 */
export function sideOf(findingRng: Rng): number {
  return findingRng.fork("side").int(2);
}

/** Lung lesion: one nodule (sometimes 2-3), or a mass when severe; round, well defined, lobulated. */
function lesion(sc: Scene, s: number, rng: Rng): void {
  const n = s > 0.85 ? 1 : 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    const k = rng.int(2);
    const c = pointIn(sc.t.lungs[k], rng, [0.1, 0.85], [0.15, 0.85], 0.03);
    const r = s > 0.85 ? rng.range(0.04, 0.065) : rng.range(0.012, 0.025) * (0.7 + 0.6 * s);
    const dens = 0.55 + 0.3 * s;
    sc.p.ellipse(sc.L.patho, c, r, r * rng.range(0.85, 1.1), dens, rng.range(0, Math.PI), 1.5);
    // A lobule on its edge.
    const a = rng.range(0, 2 * Math.PI);
    sc.p.ellipse(
      sc.L.patho,
      { x: c.x + 0.8 * r * Math.cos(a), y: c.y + 0.8 * r * Math.sin(a) },
      0.5 * r,
      0.5 * r,
      dens * 0.5,
      0,
      1.5,
    );
  }
}

/** Pleural other: calcified pleural plaques and thickening along the chest wall and diaphragm. */
function pleuralOther(sc: Scene, s: number, rng: Rng): void {
  for (const k of sides(rng, 0.5)) {
    const l = sc.t.lungs[k];
    const n = 2 + Math.round(3 * s);
    for (let i = 0; i < n; i++) {
      const j = 2 + rng.int(l.wall.length - 8);
      const a = l.wall[j],
        b = l.wall[j + 1];
      const ang = Math.atan2(b.y - a.y, b.x - a.x);
      const c = { x: a.x - l.outward * 0.008, y: a.y };
      sc.p.ellipse(sc.L.bone, c, rng.range(0.015, 0.03), 0.004, 0.3 + 0.2 * s, ang, 1.5);
    }
    // Thickening along the chest wall up to an apical cap, and a plaque on the diaphragm.
    const thick = 0.012 + 0.014 * s;
    const lining = l.wall.slice(0, -2).map((q) => ({ x: q.x - l.outward * thick * 0.4, y: q.y }));
    sc.p.stroke(sc.L.patho, lining, thick, 0.8);
    const d = l.diaphragm;
    sc.p.stroke(
      sc.L.bone,
      d.slice(4, 9).map((q) => ({ x: q.x, y: q.y - 0.003 })),
      0.004,
      0.3 * s,
    );
  }
}

/** Pneumothorax: a thin visceral pleural line with no lung markings beyond it (the collapse is in the geometry). */
function pneumothorax(sc: Scene, s: number): void {
  for (const l of sc.t.lungs) {
    if (l.collapse >= 1) continue;
    const edge = scaleAbout(l.wall.slice(3), l.hilum, l.collapse);
    sc.p.stroke(sc.L.patho, edge, 0.0025, 0.9);
    if (sc.recumbent) {
      // Deep sulcus sign: air collects anteriorly and deepens the costophrenic angle.
      const cp = l.diaphragm[l.diaphragm.length - 1];
      sc.p.blob(sc.L.air, { x: cp.x - l.outward * 0.02, y: cp.y - 0.015 }, 0.025, 0.35 * s, 1.5);
    }
  }
}

type Device = "ett" | "ngt" | "cvc" | "pacemaker" | "chestTube";

/** Support devices: an endotracheal tube, a nasogastric tube, a central line, a pacemaker, a chest tube (1-3 of them). */
function devices(sc: Scene, s: number, rng: Rng): void {
  const all: Device[] = ["ett", "ngt", "cvc", "pacemaker", "chestTube"];
  const weights = [0.5, 0.45, 0.6, 0.25, 0.15];
  const n = s < 0.4 ? 1 : 1 + rng.int(3);
  const chosen = new Set<Device>();
  while (chosen.size < n) chosen.add(all[rng.choice(weights)]);
  const t = sc.t,
    D = sc.L.device,
    p = sc.p;
  const lerp = (a: Pt, b: Pt, f: number): Pt => ({ x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f });
  for (const d of chosen) {
    if (d === "ett") {
      const tip = lerp(t.tracheaTop, t.carina, rng.range(0.7, 0.88));
      p.stroke(D, [t.tracheaTop, tip], 0.02, 0.2);
      p.stroke(
        D,
        [
          { x: t.tracheaTop.x + 0.006, y: t.tracheaTop.y },
          { x: tip.x + 0.006, y: tip.y },
        ],
        0.003,
        0.7,
      );
    } else if (d === "ngt") {
      const st = t.stomach;
      const curl = [
        { x: st.x + 0.03, y: st.y + 0.01 },
        { x: st.x + 0.02, y: st.y + 0.04 },
        { x: st.x - 0.01, y: st.y + 0.03 },
      ];
      p.stroke(D, [...t.oesophagus, ...curl], 0.008, 0.55);
    } else if (d === "cvc") {
      const mid = { x: (t.jugular.x + t.svc.x) / 2 - 0.01, y: (t.jugular.y + t.svc.y) / 2 };
      p.stroke(D, bezier(t.jugular, mid, mid, t.svc, 10), 0.006, 0.55);
    } else if (d === "pacemaker") {
      const g = t.generatorSite;
      p.ellipse(D, g, 0.045, 0.032, 0.85, 0.2, 1.5);
      p.ellipse(D, { x: g.x + 0.01, y: g.y - 0.008 }, 0.012, 0.008, -0.3, 0.2, 1);
      p.stroke(D, bezier(g, { x: g.x - 0.1, y: g.y - 0.03 }, { x: t.svc.x, y: t.svc.y - 0.08 }, t.svc, 12), 0.004, 0.8);
      p.stroke(
        D,
        bezier(t.svc, { x: t.svc.x, y: t.svc.y + 0.1 }, { x: t.rvApex.x - 0.06, y: t.rvApex.y }, t.rvApex, 10),
        0.004,
        0.8,
      );
    } else {
      const l = t.lungs[rng.int(2)];
      const entry = l.wall[3];
      const top = lerp(l.hilum, l.wall[l.wall.length - 4], 0.7);
      const path = bezier(
        { x: entry.x + l.outward * 0.06, y: entry.y + 0.02 },
        entry,
        { x: entry.x - l.outward * 0.02, y: (entry.y + top.y) / 2 },
        top,
        12,
      );
      p.stroke(D, path, 0.012, 0.3);
      p.stroke(D, path, 0.0025, 0.6);
    }
  }
}

/** ECG monitoring electrodes: a ring with a metal snap, each with its lead wire running off the film. */
function electrodes(sc: Scene, rng: Rng): void {
  const D = sc.L.device;
  for (const c of sc.t.electrodeSites) {
    if (!rng.bernoulli(0.85)) continue;
    const q = { x: c.x + rng.normal(0, 0.01), y: c.y + rng.normal(0, 0.01) };
    sc.p.ellipse(D, q, 0.018, 0.018, 0.22, 0, 1.5);
    sc.p.ellipse(D, q, 0.006, 0.006, 0.6, 0, 1);
    const out = { x: q.x + rng.normal(0, 0.15), y: -0.05 };
    sc.p.stroke(
      D,
      bezier(q, { x: q.x + rng.normal(0, 0.05), y: q.y + 0.05 }, { x: out.x, y: q.y - 0.05 }, out, 10),
      0.0025,
      0.45,
    );
  }
}
