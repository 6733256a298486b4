/**
 * The patient's anatomy as geometry (normalised units, image height 1): lung fields, heart,
 * mediastinum, bones and the landmarks that findings and devices are drawn at. Frontal (PA/AP)
 * and lateral projections fill the same description, so the drawing code and each finding are
 * written once. docs/phantoms.md describes the model and what each EHR field and label changes.
 */
import type { Rng } from "../../util/random";
import { bezier, type Pt } from "./painter";

export type Projection = "frontal" | "lateral";

/** Everything about the patient and the film that changes the anatomy (severities are 0 when absent). */
export interface AnatomyInput {
  projection: Projection;
  /** Antero-posterior film (portable): magnified heart, scapulae over the lungs, lordotic clavicles. */
  ap: boolean;
  /** Left-lateral (LL) rather than LATERAL: heart nearer the detector, less magnified. */
  leftLateral: boolean;
  recumbent: boolean;
  sex: "M" | "F" | "";
  age: number;
  /** Severities (0 when absent) of the findings that change the geometry itself. */
  cardiomegaly: number;
  mediastinum: number;
  /** Atelectasis severity per lung field (volume loss elevates that hemidiaphragm). */
  atelectasis: readonly [number, number];
  edema: number;
}

export interface LungField {
  outline: Pt[];
  hilum: Pt;
  /** +1 when the lateral (frontal film) or posterior (lateral film) side is toward larger x. */
  outward: 1 | -1;
  /** Diaphragm under this field, from its medial (anterior) end to the costophrenic angle. */
  diaphragm: Pt[];
  /** Chest wall from the costophrenic angle up to the apex. */
  wall: Pt[];
  apexY: number;
  /** Share of the air column this field holds (1 on a frontal film; 0.5 each on a lateral, where they superimpose). */
  airWeight: number;
  /** Scale of the aerated lung about its hilum: 1, or less under a pneumothorax. */
  collapse: number;
}

/** A band of bone (rib, clavicle, sternum, scapular border). */
export interface BoneStroke {
  pts: Pt[];
  width: number;
  density: number;
}

export interface Rib extends BoneStroke {
  /** Lung field whose chest wall the rib belongs to. */
  field: number;
  /** Posterior ribs can carry a fracture; anterior ones are fainter. */
  posterior: boolean;
}

export interface Ellipse {
  c: Pt;
  rx: number;
  ry: number;
  angle: number;
}

export interface Thorax {
  projection: Projection;
  aspect: number;
  /** Thorax half-width (frontal) or half depth (lateral). */
  halfWidth: number;
  body: Pt[];
  /** Extra soft tissue (breasts, raised arms), each with its density. */
  softTissue: { shape: Ellipse | Pt[]; density: number; soft: number }[];
  lungs: LungField[];
  heart: Ellipse;
  /** Solid mediastinal structures that displace lung (aortic knob or arch, widened mediastinum). */
  masses: { shape: Ellipse | Pt[]; density: number }[];
  /** Air in trachea and main bronchi. */
  airways: { pts: Pt[]; width: number; air: number }[];
  /** Centre line of the vertebral bodies, top to bottom, and their width. */
  spine: { pts: Pt[]; width: number };
  ribs: Rib[];
  bones: BoneStroke[];
  /** Thin bone plates (scapulae) and their density. */
  plates: { pts: Pt[]; density: number }[];
  /** Where calcification appears with age: the aortic knob rim and the costal cartilages. */
  aorticRim: Pt[];
  cartilage: Pt[];
  tracheaTop: Pt;
  carina: Pt;
  oesophagus: Pt[];
  stomach: Pt;
  /** Superior vena cava (tip of central lines) and right-ventricle apex (pacing leads). */
  svc: Pt;
  rvApex: Pt;
  jugular: Pt;
  generatorSite: Pt;
  electrodeSites: Pt[];
  /** Bone density factor (osteopenia with age). */
  boneDensity: number;
  /** Upper-zone vessel calibre factor (recumbency, edema). */
  upperVessels: number;
}

/** Builds the geometry of one patient and film; `rng` draws the patient's own variation. */
export function buildThorax(input: AnatomyInput, aspect: number, rng: Rng): Thorax {
  return input.projection === "frontal" ? frontal(input, aspect, rng) : lateral(input, aspect, rng);
}

/** Bone density: full up to 30 years, falling 0.7% a year (osteopenia), floored at 0.5. */
export function boneDensityAt(age: number): number {
  return Math.min(1, Math.max(0.5, 1 - 0.007 * (age - 30)));
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function bodySize(a: AnatomyInput, rng: Rng): number {
  return rng.normal(1, 0.035) * (a.sex === "F" ? 0.95 : a.sex === "M" ? 1.04 : 1);
}

function frontal(a: AnatomyInput, aspect: number, rng: Rng): Thorax {
  const size = bodySize(a, rng);
  const cx = aspect / 2;
  const T = 0.3 * size;
  const apexY = 0.13 + rng.normal(0, 0.008);
  // Recumbent and AP films are taken at lower lung volumes: the domes sit higher.
  const lift = (a.recumbent ? 0.03 : 0) + (a.ap ? 0.012 : 0);
  const domeR = 0.6 + rng.normal(0, 0.012) - lift;
  const domes = [domeR - 0.06 * a.atelectasis[0], domeR + 0.025 - 0.06 * a.atelectasis[1]];
  const hilumY = 0.37 + rng.normal(0, 0.008);
  // Upper mediastinal half-width: AP films magnify it; an enlarged cardiomediastinum widens it.
  const mU = 0.042 * size + (a.ap ? 0.007 : 0) + (a.recumbent ? 0.004 : 0) + 0.055 * a.mediastinum;
  const medial = (y: number): number => (y < hilumY ? mU : mU + (0.03 - mU) * clamp01((y - hilumY) / 0.08));
  const lungs: LungField[] = [];
  for (let k = 0; k < 2; k++) {
    const s = (k === 0 ? -1 : 1) as 1 | -1; // field 0: the patient's right lung, on the image's left
    const dome = domes[k];
    const cpY = dome + 0.075 + rng.normal(0, 0.006);
    const wm = (mU + 0.03) / T;
    const wallX = (y: number): number =>
      cx + s * T * (wm + (1.02 - wm) * Math.sqrt(clamp01((y - apexY) / 0.24)) - 0.04 * clamp01((y - 0.5) / 0.2));
    const wall = sample(24, (t) => {
      const y = cpY - (cpY - apexY) * t;
      return { x: wallX(y), y };
    });
    const medialPts = sample(16, (t) => {
      const y = apexY + (dome + 0.03 - apexY) * t;
      return { x: cx + s * (medial(y) + 0.008), y };
    }).slice(1);
    // The dome peaks 40% of the way out from the medial end and falls steeply to the angle.
    const xm = cx + s * 0.038,
      xl = wall[0].x;
    const diaphragm = sample(16, (t) => ({
      x: xm + (xl - xm) * t,
      y: t < 0.4 ? dome + 0.03 * ((0.4 - t) / 0.4) ** 2 : dome + (cpY - dome) * ((t - 0.4) / 0.6) ** 2,
    }));
    lungs.push({
      outline: [...wall, ...medialPts, ...diaphragm],
      hilum: { x: cx + s * (mU + 0.05), y: hilumY + 0.012 * k },
      outward: s,
      diaphragm,
      wall,
      apexY,
      airWeight: 1,
      collapse: 1,
    });
  }
  // Cardiothoracic ratio ~0.45; cardiomegaly pushes it past 0.55; an AP film magnifies ~12%.
  const ctr = rng.normal(0.45, 0.025) + 0.17 * a.cardiomegaly;
  const heartW = ctr * 2 * T * (a.ap ? 1.12 : 1) * (a.recumbent ? 1.04 : 1);
  const heart: Ellipse = {
    c: { x: cx + 0.14 * heartW, y: domeR - 0.045 },
    rx: heartW / 2,
    ry: 0.1 * size * (1 + 0.25 * a.cardiomegaly),
    angle: 0.25,
  };

  const ribs: Rib[] = [];
  const cartilage: Pt[] = [];
  for (let k = 0; k < 2; k++) {
    const s = lungs[k].outward;
    for (let i = 0; i < 10; i++) {
      const y = apexY + 0.012 + i * 0.05 * size;
      const yl = y + 0.055 + 0.004 * i;
      ribs.push({
        pts: bezier(
          { x: cx + s * 0.035, y },
          { x: cx + s * 0.35 * T, y: y - 0.035 },
          { x: cx + s * 0.85 * T, y: y - 0.01 },
          { x: cx + s * 1.08 * T, y: yl },
          12,
        ),
        width: 0.016 * size,
        density: 0.1,
        field: k,
        posterior: true,
      });
      if (i >= 1 && i <= 7) {
        const end = { x: cx + s * 0.3 * T, y: yl + 0.12 };
        ribs.push({
          pts: bezier(
            { x: cx + s * 1.04 * T, y: yl },
            { x: cx + s * 0.8 * T, y: yl + 0.04 },
            { x: cx + s * 0.5 * T, y: yl + 0.09 },
            end,
            10,
          ),
          width: 0.018 * size,
          density: 0.05,
          field: k,
          posterior: false,
        });
        cartilage.push(end);
      }
    }
  }
  // AP (lordotic) films project the clavicles higher and flatter; the scapulae over the lungs.
  const clavY = apexY - (a.ap ? 0.03 : 0.005);
  const bones: BoneStroke[] = [];
  const plates: Thorax["plates"] = [];
  for (const s of [-1, 1]) {
    bones.push({
      pts: bezier(
        { x: cx + s * 0.03, y: clavY + 0.01 },
        { x: cx + s * 0.1, y: clavY + 0.02 },
        { x: cx + s * 0.18, y: clavY - (a.ap ? 0.005 : 0.035) },
        { x: cx + s * 0.95 * T, y: clavY - (a.ap ? 0.01 : 0.045) },
        12,
      ),
      width: 0.02 * size,
      density: 0.2,
    });
    const inner = a.ap ? 0.62 : 0.98;
    const scap = [
      { x: cx + s * 1.2 * T, y: apexY - 0.03 },
      { x: cx + s * inner * T, y: apexY + 0.03 },
      { x: cx + s * (inner + 0.12) * T, y: apexY + 0.27 },
      { x: cx + s * 1.22 * T, y: apexY + 0.2 },
    ];
    plates.push({ pts: scap, density: 0.09 });
    bones.push({ pts: [scap[1], scap[2]], width: 0.006, density: 0.12 });
  }
  const aorticAge = 1 + 0.004 * Math.max(0, a.age - 40); // the aorta unfolds with age
  const knob: Ellipse = {
    c: { x: cx + mU + 0.004, y: hilumY - 0.12 },
    rx: 0.028 * aorticAge,
    ry: 0.026 * aorticAge,
    angle: 0,
  };
  const mediastinumPoly = [
    ...sample(8, (t) => ({ x: cx - medial(t * hilumY * 1.1) - 0.004, y: t * hilumY * 1.1 })),
    ...sample(8, (t) => ({ x: cx + medial((1 - t) * hilumY * 1.1) + 0.004, y: (1 - t) * hilumY * 1.1 })),
  ];
  const breasts: Thorax["softTissue"] = [];
  if (a.sex === "F") {
    const b = rng.normal(1, 0.15);
    for (const s of [-1, 1])
      breasts.push({
        shape: { c: { x: cx + s * 0.6 * T, y: domeR - 0.02 }, rx: 0.15 * b, ry: 0.1 * b, angle: 0 },
        density: 0.075 * b,
        soft: 6,
      });
  }
  const carina = { x: cx + 0.004, y: hilumY - 0.07 };
  const stomach = { x: cx + 0.45 * T, y: domes[1] + 0.055 };
  const hw = 1.42 * T;
  return {
    projection: "frontal",
    aspect,
    halfWidth: T,
    body: [
      { x: cx - 0.07, y: -0.05 },
      { x: cx - 0.08, y: 0.04 },
      { x: cx - hw, y: 0.07 },
      { x: cx - hw - 0.02, y: 0.2 },
      { x: cx - 1.25 * T, y: 0.55 },
      { x: cx - 1.2 * T, y: 1.05 },
      { x: cx + 1.2 * T, y: 1.05 },
      { x: cx + 1.25 * T, y: 0.55 },
      { x: cx + hw + 0.02, y: 0.2 },
      { x: cx + hw, y: 0.07 },
      { x: cx + 0.08, y: 0.04 },
      { x: cx + 0.07, y: -0.05 },
    ],
    softTissue: breasts,
    lungs,
    heart,
    masses: [
      { shape: knob, density: 0.05 },
      { shape: mediastinumPoly, density: 0.06 },
    ],
    airways: [
      { pts: [{ x: cx, y: -0.02 }, carina], width: 0.022, air: 0.45 },
      { pts: [carina, lungs[0].hilum], width: 0.012, air: 0.3 },
      { pts: [carina, lungs[1].hilum], width: 0.011, air: 0.3 },
    ],
    spine: {
      pts: [
        { x: cx, y: -0.02 },
        { x: cx, y: 1.02 },
      ],
      width: 0.062 * size,
    },
    ribs,
    bones,
    plates,
    aorticRim: sample(8, (t) => ({
      x: knob.c.x + knob.rx * Math.cos(Math.PI * (1.1 + 0.9 * t)),
      y: knob.c.y + knob.ry * Math.sin(Math.PI * (1.1 + 0.9 * t)),
    })),
    cartilage,
    tracheaTop: { x: cx, y: -0.02 },
    carina,
    oesophagus: [{ x: cx + 0.008, y: -0.02 }, { x: cx + 0.015, y: hilumY }, { x: cx + 0.03, y: domes[1] }, stomach],
    stomach,
    svc: { x: cx - 0.032, y: hilumY - 0.06 },
    rvApex: { x: heart.c.x + 0.45 * heart.rx, y: heart.c.y + 0.6 * heart.ry },
    jugular: { x: cx - 0.1, y: -0.02 },
    generatorSite: { x: cx + 0.72 * T, y: apexY + 0.04 },
    electrodeSites: [
      { x: cx - 0.85 * T, y: apexY },
      { x: cx + 0.85 * T, y: apexY },
      { x: cx - 0.25 * T, y: apexY - 0.03 },
      { x: cx + 0.95 * T, y: domes[1] - 0.02 },
      { x: cx + 0.3 * T, y: apexY - 0.04 },
    ],
    boneDensity: boneDensityAt(a.age),
    upperVessels: (a.recumbent ? 1.25 : 1) * (1 + 0.5 * a.edema),
  };
}

function lateral(a: AnatomyInput, aspect: number, rng: Rng): Thorax {
  const size = bodySize(a, rng);
  const cx = aspect / 2;
  const D = 0.3 * size; // half depth of the chest
  const xa = cx - 0.85 * D,
    xp = cx + 1.05 * D; // anterior (behind the sternum) and posterior chest walls
  const apexY = 0.11 + rng.normal(0, 0.008);
  const lift = a.recumbent ? 0.03 : 0;
  const hilum = { x: cx + 0.12 * D, y: 0.38 + rng.normal(0, 0.008) };
  const front = (y: number): number =>
    xa + 0.05 * ((y - 0.4) / 0.3) ** 2 + 0.7 * D * (1 - Math.sqrt(clamp01((y - apexY) / 0.22)));
  const back = (y: number): number =>
    xp - 0.03 * ((y - 0.45) / 0.3) ** 2 - 0.9 * D * (1 - Math.sqrt(clamp01((y - apexY) / 0.22)));
  const lungs: LungField[] = [];
  for (let k = 0; k < 2; k++) {
    // The two lungs superimpose; the left hemidiaphragm (field 1) projects a little lower.
    const dome = 0.56 + rng.normal(0, 0.01) - lift + 0.025 * k - 0.06 * a.atelectasis[k];
    const antCp = dome + 0.05,
      postCp = dome + 0.17 + 0.01 * k;
    const wall = sample(24, (t) => {
      const y = postCp - (postCp - apexY) * t;
      return { x: back(y), y };
    });
    const anterior = sample(16, (t) => {
      const y = apexY + (antCp - apexY) * t;
      return { x: front(y), y };
    }).slice(1);
    const x0 = front(antCp),
      x1 = wall[0].x;
    const diaphragm = sample(16, (t) => ({
      x: x0 + (x1 - x0) * t,
      y:
        t < 0.35
          ? dome + (antCp - dome) * ((0.35 - t) / 0.35) ** 2
          : dome + (postCp - dome) * ((t - 0.35) / 0.65) ** 2.2,
    }));
    lungs.push({
      outline: [...wall, ...anterior, ...diaphragm],
      hilum,
      outward: 1,
      diaphragm,
      wall,
      apexY,
      airWeight: 0.5,
      collapse: 1,
    });
  }
  const dome = lungs[0].diaphragm[6].y;
  // The heart sits anteriorly on the diaphragm; cardiomegaly extends it backwards towards the spine.
  const mag = a.leftLateral ? 0.96 : 1;
  const heart: Ellipse = {
    c: { x: xa + 0.42 * D + 0.18 * D * a.cardiomegaly, y: dome - 0.06 },
    rx: 0.48 * D * mag * (1 + 0.5 * a.cardiomegaly),
    ry: 0.1 * size * mag * (1 + 0.2 * a.cardiomegaly),
    angle: -0.6,
  };
  // Thoracic kyphosis grows with age.
  const kyph = 0.02 + 0.0006 * Math.max(0, a.age - 30);
  const spineX = (y: number): number => xp - 0.38 * D + kyph * (1 - ((y - 0.4) / 0.45) ** 2);
  const spinePts = sample(12, (t) => ({ x: spineX(-0.02 + 1.04 * t), y: -0.02 + 1.04 * t }));
  const ribs: Rib[] = [];
  for (let k = 0; k < 2; k++) {
    for (let i = 0; i < 9; i++) {
      const y = apexY + 0.03 + i * 0.055 * size + k * 0.012;
      const sx = spineX(y) + 0.04;
      ribs.push({
        pts: bezier(
          { x: sx, y },
          { x: sx - 0.05, y: y + 0.01 },
          { x: sx - 0.16, y: y + 0.07 },
          { x: sx - 0.28 * size, y: y + 0.14 },
          10,
        ),
        width: 0.014 * size,
        density: 0.07,
        field: k,
        posterior: true,
      });
    }
  }
  const sternumTop = { x: xa - 0.02, y: apexY + 0.07 };
  const softTissue: Thorax["softTissue"] = [
    // Arms raised forward over the upper chest.
    {
      shape: [
        { x: xa - 0.2, y: -0.05 },
        { x: cx + 0.1 * D, y: -0.05 },
        { x: cx - 0.1 * D, y: apexY + 0.06 },
        { x: xa - 0.1, y: apexY + 0.14 },
      ],
      density: 0.1,
      soft: 4,
    },
  ];
  if (a.sex === "F") {
    const b = rng.normal(1, 0.15);
    softTissue.push({
      shape: { c: { x: xa - 0.02, y: dome - 0.05 }, rx: 0.09 * b, ry: 0.1 * b, angle: 0 },
      density: 0.12 * b,
      soft: 6,
    });
  }
  const arch: Pt[] = bezier(
    { x: xa + 0.3 * D, y: hilum.y - 0.02 },
    { x: xa + 0.4 * D, y: apexY + 0.06 },
    { x: hilum.x + 0.08, y: apexY + 0.06 },
    { x: spineX(0.35) - 0.05, y: hilum.y },
    10,
  );
  const aorticAge = 1 + 0.004 * Math.max(0, a.age - 40);
  const masses: Thorax["masses"] = [
    { shape: [...arch, ...[...arch].reverse().map((p) => ({ x: p.x, y: p.y + 0.035 * aorticAge }))], density: 0 },
  ];
  if (a.mediastinum > 0) {
    // A widened mediastinum fills the retrosternal clear space.
    masses.push({
      shape: { c: { x: xa + 0.2 * D, y: apexY + 0.2 }, rx: 0.3 * D * a.mediastinum, ry: 0.12, angle: 0 },
      density: 0.1,
    });
  }
  const stomach = { x: cx + 0.1 * D, y: lungs[1].diaphragm[7].y + 0.05 };
  const carina = { x: hilum.x - 0.01, y: hilum.y - 0.05 };
  const tracheaTop = { x: cx - 0.05 * D, y: -0.02 };
  return {
    projection: "lateral",
    aspect,
    halfWidth: D,
    body: [
      { x: xa - 0.12, y: -0.05 },
      { x: xa - 0.06, y: apexY },
      { x: xa - 0.07, y: 0.6 },
      { x: xa - 0.12, y: 1.05 },
      { x: xp + 0.1, y: 1.05 },
      { x: xp + 0.13, y: 0.5 },
      { x: xp + 0.1, y: apexY },
      { x: xp + 0.02, y: -0.05 },
    ],
    softTissue,
    lungs,
    heart,
    masses,
    airways: [{ pts: [tracheaTop, carina], width: 0.025, air: 0.45 }],
    spine: { pts: spinePts, width: 0.075 * size },
    ribs,
    bones: [{ pts: [sternumTop, { x: xa - 0.03, y: dome - 0.02 }], width: 0.025, density: 0.15 }],
    plates: [
      {
        pts: [
          { x: xp - 0.15, y: apexY - 0.02 },
          { x: xp + 0.02, y: apexY - 0.04 },
          { x: xp + 0.03, y: apexY + 0.35 },
          { x: xp - 0.08, y: apexY + 0.3 },
        ],
        density: 0.07,
      },
    ],
    aorticRim: arch,
    cartilage: [sternumTop, { x: xa - 0.02, y: 0.3 }, { x: xa - 0.01, y: 0.4 }],
    tracheaTop,
    carina,
    oesophagus: [
      { x: cx + 0.05 * D, y: -0.02 },
      { x: hilum.x + 0.05, y: hilum.y },
      { x: hilum.x + 0.07, y: dome },
      stomach,
    ],
    stomach,
    svc: { x: hilum.x - 0.07, y: hilum.y - 0.05 },
    rvApex: { x: heart.c.x - 0.5 * heart.rx, y: heart.c.y + 0.5 * heart.ry },
    jugular: { x: cx - 0.25 * D, y: -0.02 },
    generatorSite: { x: xa + 0.02, y: apexY + 0.06 },
    electrodeSites: [
      { x: xa - 0.07, y: apexY + 0.02 },
      { x: xa - 0.07, y: dome },
      { x: xa - 0.05, y: apexY - 0.03 },
    ],
    boneDensity: boneDensityAt(a.age),
    upperVessels: (a.recumbent ? 1.25 : 1) * (1 + 0.5 * a.edema),
  };
}

/** `n + 1` points f(0), f(1/n), ..., f(1). */
function sample(n: number, f: (t: number) => Pt): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i <= n; i++) out.push(f(i / n));
  return out;
}
