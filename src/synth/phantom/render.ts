/**
 * Renders one phantom chest radiograph from its spec: anatomy, findings, devices, then the
 * film (exposure, noise). Pure and deterministic: the same spec and size give the same pixels.
 */
import { CHEXPERT_LABELS } from "../../util/labels";
import { Rng } from "../../util/random";
import type { PhantomSpec } from "../phantoms";
import { buildThorax, type AnatomyInput, type Ellipse, type Projection } from "./anatomy";
import { drawFindings, prepareFindings, sideOf, type Layers, type Scene, type Severities } from "./findings";
import { Painter, scaleAbout, type Layer, type Pt } from "./painter";

export interface RenderedPhantom {
  width: number;
  height: number;
  /** Grey levels, row-major. */
  data: Uint8Array;
}

/** How a DICOM ViewPosition is drawn: lateral anatomy for LATERAL/LL (and any code naming a lateral), AP or PA otherwise. */
export function projectionOf(view: string): { projection: Projection; ap: boolean; leftLateral: boolean } {
  const v = view.trim().toUpperCase();
  if (v === "LL" || v === "RL" || v.includes("LAT"))
    return { projection: "lateral", ap: false, leftLateral: v === "LL" };
  return { projection: "frontal", ap: v.startsWith("AP"), leftLateral: false };
}

/** Severity of each label: positive U(0.45, 1), uncertain (drawn faintly) U(0.15, 0.35), else 0. */
export function severities(spec: Pick<PhantomSpec, "positive" | "uncertain">, rng: Rng): Severities {
  const sev = {} as Severities;
  for (const label of CHEXPERT_LABELS) {
    const r = rng.fork(label);
    sev[label] = spec.positive.includes(label)
      ? r.range(0.45, 1)
      : spec.uncertain.includes(label)
        ? r.range(0.15, 0.35)
        : 0;
  }
  return sev;
}

/** Pixels of the phantom described by `spec`, `longSide` pixels high. */
export function renderPhantom(spec: PhantomSpec, longSide = 512): RenderedPhantom {
  const root = new Rng(spec.seed);
  // The patient's own anatomy comes from its own seed, so that a patient's films look alike.
  const anatomyRng = new Rng(spec.anatomySeed ?? spec.seed).fork("anatomy");
  const film = root.fork("film");
  const findingRng = root.fork("findings");
  const sev = severities(spec, root.fork("severity"));
  const view = projectionOf(spec.view);
  const recumbent = spec.position.trim().toLowerCase() === "recumbent";
  const ate: [number, number] = [0, 0];
  if (sev.Atelectasis > 0) ate[sideOf(findingRng.fork("Atelectasis"))] = sev.Atelectasis;
  const input: AnatomyInput = {
    ...view,
    recumbent,
    sex: spec.sex,
    age: Number.isFinite(spec.age) ? spec.age : 60,
    cardiomegaly: sev.Cardiomegaly,
    mediastinum: sev["Enlarged Cardiomediastinum"],
    atelectasis: ate,
    edema: sev.Edema,
  };
  const aspect = anatomyRng.range(0.8, 0.88);
  const t = buildThorax(input, aspect, anatomyRng.fork("geometry"));
  const { fractures } = prepareFindings(t, sev, findingRng);

  const height = Math.max(16, Math.round(longSide));
  const width = Math.max(16, Math.round(height * aspect));
  const tilt = view.ap ? 0.045 : 0.025; // portable films are less carefully positioned
  const painter = new Painter(width, height, {
    centre: { x: aspect / 2, y: 0.5 },
    angle: film.normal(0, tilt),
    scale: film.normal(1, 0.03),
    shift: { x: film.normal(0, 0.015), y: film.normal(0.005, 0.012) },
  });
  const L: Layers = {
    body: painter.layer(),
    tissue: painter.layer(),
    bone: painter.layer(),
    air: painter.layer(),
    paren: painter.layer(),
    mark: painter.layer(),
    patho: painter.layer(),
    device: painter.layer(),
  };
  const scene: Scene = { p: painter, L, t, recumbent, masks: t.lungs.map(() => painter.layer()) };
  drawAnatomy(scene, spec.age, anatomyRng.fork("drawing"));
  drawFindings(scene, sev, spec.icu, fractures, findingRng);
  const data = expose(scene, film.fork("exposure"), view.ap);
  painter.release();
  return { width, height, data };
}

/** Soft tissue, lungs, mediastinum, heart, airways, bones and vessels. */
function drawAnatomy(sc: Scene, age: number, rng: Rng): void {
  const { p, L, t } = sc;
  p.polygon(L.body, t.body, 1);
  for (const s of t.softTissue) fillShape(p, [[L.tissue, s.density]], s.shape, s.soft);
  t.lungs.forEach((l, k) => {
    const w = l.airWeight;
    if (l.collapse >= 1) {
      p.polygonInto(
        [
          [L.air, w],
          [L.paren, w],
          [sc.masks[k], 1],
        ],
        l.outline,
      );
      return;
    }
    // A pneumothorax: the pleural space holds only air (darker than lung) and no markings.
    p.polygonInto(
      [
        [L.air, 1.3 * w],
        [sc.masks[k], 1],
      ],
      l.outline,
    );
    p.polygonInto(
      [
        [L.air, -0.3 * w],
        [L.paren, w],
      ],
      scaleAbout(l.outline, l.hilum, l.collapse),
    );
  });
  for (const m of t.masses)
    fillShape(
      p,
      [
        [L.tissue, m.density],
        [L.air, -0.7],
        [L.paren, -0.7],
      ],
      m.shape,
    );
  fillShape(
    p,
    [
      [L.tissue, 0.04],
      [L.air, -1],
      [L.paren, -1],
    ],
    t.heart,
    2,
  );
  for (const a of t.airways) p.stroke(L.air, a.pts, a.width, a.air);
  stomachBubble(sc);
  spine(sc);
  for (const r of [...t.ribs, ...t.bones]) {
    // A band with brighter cortical edges: the marrow between them is less dense.
    p.stroke(L.bone, r.pts, r.width, r.density, { width: r.width * 0.5, value: -0.35 * r.density });
  }
  for (const pl of t.plates) p.polygon(L.bone, pl.pts, pl.density);
  calcification(sc, age, rng.fork("calcification"));
  for (let k = 0; k < t.lungs.length; k++) vessels(sc, k, rng.fork(`vessels${k}`));
}

/** Adds a soft-tissue region or mass, given as an ellipse or a polygon, into each target layer with its value. */
function fillShape(p: Painter, targets: readonly (readonly [Layer, number])[], shape: Ellipse | Pt[], soft = 1): void {
  if (Array.isArray(shape)) p.polygonInto(targets, shape);
  else p.ellipseInto(targets, shape.c, shape.rx, shape.ry, shape.angle, soft);
}

/** Gas in the gastric fundus: a flat air-fluid level when erect, a rounded bubble when recumbent. */
function stomachBubble(sc: Scene): void {
  const s = sc.t.stomach;
  if (sc.recumbent) {
    sc.p.ellipse(sc.L.air, s, 0.04, 0.025, 0.5, 0, 2);
    return;
  }
  const top: Pt[] = [];
  for (let i = 0; i <= 12; i++) {
    const a = Math.PI * (1 + i / 12);
    top.push({ x: s.x + 0.055 * Math.cos(a), y: s.y + 0.035 * Math.sin(a) });
  }
  sc.p.polygon(sc.L.air, top, 0.55);
}

/** Vertebral bodies with disc spaces and pedicles along the spine's centre line. */
function spine(sc: Scene): void {
  const { p, L, t } = sc;
  const { pts, width } = t.spine;
  p.stroke(L.bone, pts, width, 0.08);
  // Disc spaces every ~4.5% of the height, and (frontal) the paired pedicles.
  const y0 = pts[0].y,
    y1 = pts[pts.length - 1].y;
  const xAt = (y: number): number => {
    for (let i = 0; i + 1 < pts.length; i++) {
      if (y <= pts[i + 1].y) return pts[i].x + ((pts[i + 1].x - pts[i].x) * (y - pts[i].y)) / (pts[i + 1].y - pts[i].y);
    }
    return pts[pts.length - 1].x;
  };
  for (let y = y0 + 0.03; y < y1; y += 0.045) {
    const x = xAt(y);
    p.stroke(
      L.bone,
      [
        { x: x - width / 2, y },
        { x: x + width / 2, y },
      ],
      0.006,
      -0.04,
    );
    if (t.projection === "frontal") {
      for (const s of [-1, 1]) p.ellipse(L.bone, { x: x + s * width * 0.32, y: y + 0.018 }, 0.006, 0.009, 0.03, 0, 1.5);
    } else {
      p.ellipse(L.bone, { x: x + width * 0.9, y: y + 0.02 }, 0.022, 0.01, 0.08, -0.4, 1);
    }
  }
}

/** With age: the aortic knob's rim and the costal cartilages calcify. */
function calcification(sc: Scene, age: number, rng: Rng): void {
  const a = Math.min(1, Math.max(0, (age - 45) / 40));
  if (a <= 0) return;
  if (rng.bernoulli(0.3 + 0.6 * a)) sc.p.stroke(sc.L.bone, sc.t.aorticRim, 0.004, 0.25 + 0.3 * a);
  for (const c of sc.t.cartilage) {
    if (rng.bernoulli(a)) sc.p.blob(sc.L.bone, c, 0.008, 0.12 * a, 1.6, 0.5);
  }
}

/**
 * Pulmonary vessels: branching trees from the hilum, calibre tapering outwards; upper-zone
 * vessels are wider when recumbent or in edema. A collapsed lung carries its vessels with it.
 */
function vessels(sc: Scene, k: number, rng: Rng): void {
  const l = sc.t.lungs[k];
  const frontal = sc.t.projection === "frontal";
  const trunks = frontal ? 7 : 9;
  const scale = (q: Pt): Pt =>
    l.collapse < 1
      ? { x: l.hilum.x + l.collapse * (q.x - l.hilum.x), y: l.hilum.y + l.collapse * (q.y - l.hilum.y) }
      : q;
  const grow = (from: Pt, angle: number, len: number, width: number, depth: number): void => {
    const to = { x: from.x + Math.cos(angle) * len, y: from.y + Math.sin(angle) * len };
    const mid = {
      x: (from.x + to.x) / 2 + rng.normal(0, len * 0.08),
      y: (from.y + to.y) / 2 + rng.normal(0, len * 0.08),
    };
    const upper = to.y < l.hilum.y ? sc.t.upperVessels : 1;
    sc.p.stroke(sc.L.mark, [scale(from), scale(mid), scale(to)], width * upper * l.collapse, 0.22);
    if (depth === 0) return;
    for (const turn of [-0.38, 0.38]) grow(to, angle + turn + rng.normal(0, 0.12), len * 0.68, width * 0.62, depth - 1);
  };
  for (let i = 0; i < trunks; i++) {
    // Angles fan out from the hilum: towards the chest wall on a frontal film, all round on a lateral.
    const spread = frontal ? -1.25 + (2.5 * (i + 0.5)) / trunks : -Math.PI + (2 * Math.PI * (i + 0.5)) / trunks;
    const base = frontal ? (l.outward > 0 ? spread : Math.PI - spread) : spread;
    grow(l.hilum, base + rng.normal(0, 0.1), rng.range(0.07, 0.1), 0.009, 3);
  }
}

/**
 * The film: density -> grey level through a random exposure (window and gamma), a low-frequency
 * exposure field (heel effect), fine lung texture and quantum noise (stronger on portable films).
 */
function expose(sc: Scene, rng: Rng, ap: boolean): Uint8Array {
  const { p, L, t } = sc;
  const W = p.width,
    H = p.height;
  const lo = rng.range(0.03, 0.08),
    hi = rng.range(0.86, 0.97),
    gamma = rng.range(0.85, 1.2);
  const noiseSd = rng.range(0.008, 0.018) * (ap ? 1.4 : 1);
  const heel = rng.normal(0, 0.03);
  // Grey level of each density, tabulated: Math.pow per pixel would dominate the render time.
  const LUT = 4096;
  const grey = new Float32Array(LUT + 1);
  for (let k = 0; k <= LUT; k++) grey[k] = 255 * (lo + (hi - lo) * Math.pow(k / LUT, gamma));
  const texture = upsampler(coarseNoise(Math.ceil(48 * t.aspect), 48, rng.fork("texture")), W, H);
  const field = upsampler(coarseNoise(4, 4, rng.fork("field")), W, H);
  const noise = gaussianTable();
  const mask = noise.length - 1;
  let n = rng.int(noise.length);
  // Projected body thickness across the chest: the chord of an elliptic cross-section.
  const across = (col: number, row: number): number => p.toNorm(col + 0.5, row + 0.5).x;
  const bodyHalf = 1.35 * t.halfWidth,
    cx = t.aspect / 2;
  const out = new Uint8Array(W * H);
  const airDepth = 0.42;
  const { body, tissue, bone, device, air, paren, mark, patho } = L;
  const boneK = t.boneDensity,
    noiseK = 255 * noiseSd,
    scale = LUT / 0.95;
  const tx0 = texture.x0,
    tfx = texture.fx,
    fx0 = field.x0,
    ffx = field.fx;
  for (let r = 0; r < H; r++) {
    const tex = texture.row(r),
      fld = field.row(r);
    const rowField = heel * ((r + 0.5) / H - 0.5);
    const u0 = (across(0, r) - cx) / bodyHalf,
      du = (across(1, r) - cx) / bodyHalf - u0;
    for (let c = 0, i = r * W; c < W; c++, i++) {
      const u = u0 + c * du;
      const thick = u * u < 1 ? Math.sqrt(1 - u * u) : 0;
      let pa = paren[i];
      pa = pa < 0 ? 0 : pa > 1 ? 1 : pa;
      const k = tx0[c],
        tv = tex[k] + (tex[k + 1] - tex[k]) * tfx[c];
      let opac = patho[i] + pa * (mark[i] + 0.1 * tv);
      opac = opac < 0 ? 0 : opac > 1 ? 1 : opac;
      const a = air[i] > 0 ? air[i] : 0;
      const kf = fx0[c],
        fv = fld[kf] + (fld[kf + 1] - fld[kf]) * ffx[c];
      const d =
        tissue[i] +
        (0.3 + 0.25 * thick) * body[i] +
        boneK * bone[i] +
        device[i] -
        airDepth * a * (1 - opac) +
        rowField +
        0.03 * fv;
      const j = d <= 0 ? 0 : d >= 0.95 ? LUT : (d * scale + 0.5) | 0;
      const g = grey[j] + noiseK * noise[n];
      n = (n + 1) & mask;
      out[i] = g <= 0 ? 0 : g >= 255 ? 255 : (g + 0.5) | 0;
    }
  }
  return out;
}

let gaussians: Float32Array | undefined;

/** 2^20 standard normal values, made once: drawing one per pixel through Rng would dominate the render time. */
function gaussianTable(): Float32Array {
  if (!gaussians) {
    const rng = new Rng("phantom-noise");
    gaussians = new Float32Array(1 << 20);
    for (let i = 0; i < gaussians.length; i++) gaussians[i] = rng.normal();
  }
  return gaussians;
}

interface Grid {
  nx: number;
  ny: number;
  v: Float32Array;
}

/** A (nx+1) x (ny+1) grid of standard normal values, sampled bilinearly over the unit square. */
function coarseNoise(nx: number, ny: number, rng: Rng): Grid {
  const v = new Float32Array((nx + 1) * (ny + 1));
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return { nx, ny, v };
}

/** Bilinear upsampling of a grid over a W x H image: `row(r)` interpolates rows, then `x0`/`fx` columns. */
function upsampler(g: Grid, W: number, H: number): { row(r: number): Float32Array; x0: Int32Array; fx: Float32Array } {
  const x0 = new Int32Array(W),
    fx = new Float32Array(W);
  for (let c = 0; c < W; c++) {
    const x = ((c + 0.5) / W) * g.nx;
    x0[c] = Math.min(g.nx - 1, Math.floor(x));
    fx[c] = x - x0[c];
  }
  const rowVals = new Float32Array(g.nx + 1);
  const w = g.nx + 1;
  return {
    row(r) {
      const y = ((r + 0.5) / H) * g.ny;
      const y0 = Math.min(g.ny - 1, Math.floor(y)),
        fy = y - y0;
      for (let k = 0; k < w; k++) rowVals[k] = g.v[y0 * w + k] * (1 - fy) + g.v[(y0 + 1) * w + k] * fy;
      return rowVals;
    },
    x0,
    fx,
  };
}
