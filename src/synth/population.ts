/**
 * The synthetic MIMIC population in memory: patients, admissions, ICU stays, studies, images and
 * their CheXpert labels, with MIMIC-like distributions and the edge cases that break naive joins.
 * `write.ts` turns it into the MIMIC files; docs/synthetic-cohort.md describes the choices.
 */
import { Rng } from "../util/random";
import { CHEXPERT_LABELS } from "../util/labels";
import { FINDINGS, findingProbability, StudyState } from "./model";
import { civilFromDays, dayOf, daysFromCivil, SECONDS_PER_DAY } from "../mimic/time";

const DAY = SECONDS_PER_DAY;
const HOUR = 3600;
const MAX_WINDOW = 6 * 365 * DAY;

/** MIMIC's sizes: MIMIC-IV 2.2 patients, and MIMIC-CXR-JPG 2.0.0 imaged patients, studies, images. */
export const MIMIC_COUNTS = { patients: 299712, imagedPatients: 65379, studies: 227835, images: 377110 } as const;

export type SynthCounts = { patients: number; imagedPatients: number; studies: number; images: number };

/** Counts for `imaged` imaged patients, in MIMIC's proportions. */
export function countsFor(imaged: number): SynthCounts {
  const studies = Math.round((imaged * MIMIC_COUNTS.studies) / MIMIC_COUNTS.imagedPatients);
  return {
    patients: Math.round((imaged * MIMIC_COUNTS.patients) / MIMIC_COUNTS.imagedPatients),
    imagedPatients: imaged,
    studies,
    images: Math.round((studies * MIMIC_COUNTS.images) / MIMIC_COUNTS.studies),
  };
}

export type View = "PA" | "AP" | "LATERAL" | "LL";
export type Position = "Erect" | "Recumbent";
/** Value of a CheXpert label as written: 1, 0, -1, or NaN for blank. */
export type LabelValue = number;

export interface Patient {
  subjectId: number;
  /** True sex; `genderWritten` is what patients.csv says ("" = blank). */
  gender: "M" | "F";
  genderWritten: "M" | "F" | "";
  /** false: the subject is imaged but absent from patients.csv (and from every MIMIC-IV table). */
  inPatientsFile: boolean;
  imaged: boolean;
  anchorAge: number;
  anchorYear: number;
  anchorYearGroup: string;
  /** Time of death, NaN when alive at the end of follow-up. */
  death: number;
  frailty: number;
  /** Seed of the patient's anatomy in the phantoms (the same for all its images). */
  anatomySeed: number;
  /** Indices into `admissions`, in time order. */
  admissions: number[];
  /** Start and end of the imaging window. */
  windowStart: number;
  windowEnd: number;
  split: "train" | "validate" | "test";
}

export interface Admission {
  hadmId: number;
  patient: number;
  admit: number;
  disch: number;
  expire: 0 | 1;
  type: string;
  /** ED registration before an emergency admission, NaN otherwise. */
  edreg: number;
  /** Indices into `icuStays`. */
  icu: number[];
}

export interface IcuStay {
  stayId: number;
  admission: number;
  intime: number;
  outtime: number;
  careunit: string;
}

/** Edge cases a study may carry (so that tests can find them in the truth). */
export type StudyEdge = "" | "ed-before-admit" | "after-discharge" | "at-icu-out" | "icu-out-day" | "no-labels";

export interface Study {
  studyId: number;
  patient: number;
  time: number;
  /** "portable" = CHEST (PORTABLE AP); "pa" = CHEST (PA AND LAT). */
  kind: "portable" | "pa";
  /** Position of the frontal image. */
  position: Position;
  /** Truth by the date rule: the admission holding the study (-1 none), ICU, death in that admission. */
  admission: number;
  icu: 0 | 1;
  died: 0 | 1;
  age: number;
  /** One value per CHEXPERT_LABELS entry. */
  labels: LabelValue[];
  hasLabelRow: boolean;
  edge: StudyEdge;
  /** Indices into `images`. */
  images: number[];
}

export interface Image {
  dicomId: string;
  study: number;
  view: View;
  position: Position;
  /** As written in the metadata: "" = missing, or a code outside the four views. */
  viewWritten: string;
  positionWritten: Position | "";
  rows: number;
  columns: number;
  seed: number;
}

export interface Population {
  counts: SynthCounts;
  patients: Patient[];
  admissions: Admission[];
  icuStays: IcuStay[];
  studies: Study[];
  images: Image[];
  /** How many of each edge case were planted. */
  edges: Record<string, number>;
}

export interface PopulationOptions {
  counts: SynthCounts;
  seed: number;
  /** Fractions of imaged patients in validate and test. */
  splitFractions: { validate: number; test: number };
}

/** Rates of the rare cases; each is planted at least once in a population of 20 or more candidates. */
const RATES = {
  notInPatients: 0.0025, // imaged subjects unknown to MIMIC-IV (the authors lost 889 images to this)
  blankGender: 0.0005,
  overlap: 0.004, // admissions that start before the previous one ends
  edBeforeAdmit: 0.03, // inpatient studies on the admission day, before admittime (in the ED)
  afterDischarge: 0.01, // on the discharge day, after dischtime
  atIcuOut: 0.005, // exactly at an ICU outtime
  icuOutDay: 0.005, // on the ICU out day, after outtime
  noLabels: 8 / 227835, // studies without a row in the CheXpert file
  otherView: 20 / 377110, // view codes outside PA/AP/LATERAL/LL (dropped by the authors)
  blankView: 15769 / 377110,
  blankPosition: 0.09,
};

const YEAR_GROUPS = ["2008 - 2010", "2011 - 2013", "2014 - 2016", "2017 - 2019"];
const ADMISSION_TYPES = [
  "EW EMER.",
  "EU OBSERVATION",
  "OBSERVATION ADMIT",
  "URGENT",
  "DIRECT EMER.",
  "ELECTIVE",
  "SURGICAL SAME DAY ADMISSION",
];
const CAREUNITS = [
  "Medical Intensive Care Unit (MICU)",
  "Surgical Intensive Care Unit (SICU)",
  "Cardiac Vascular Intensive Care Unit (CVICU)",
  "Medical/Surgical Intensive Care Unit (MICU/SICU)",
  "Coronary Care Unit (CCU)",
  "Trauma SICU (TSICU)",
];
const OTHER_VIEWS: Record<View, string[]> = {
  AP: ["AP AXIAL", "AP LLD"],
  PA: ["PA LLD", "PA RLD", "LAO", "RAO"],
  LATERAL: ["XTABLE LATERAL", "SWIMMERS"],
  LL: ["XTABLE LATERAL", "LPO"],
};

/** Builds the whole population, deterministically from `seed`. */
export function buildPopulation(opts: PopulationOptions): Population {
  const { counts } = opts;
  const root = new Rng(opts.seed);
  const edges: Record<string, number> = {};
  const patients = makePatients(root.fork("patients"), counts, edges);
  const { admissions, icuStays } = makeStays(root.fork("stays"), patients, edges);
  const studies = placeStudies(root.fork("studies"), patients, admissions, icuStays, counts.studies, edges);
  for (const s of studies) matchStudy(s, patients, admissions, icuStays);
  const images = makeImages(root.fork("images"), studies, counts.images, edges);
  labelStudies(root.fork("labels"), patients, studies, edges);
  assignSplits(root.fork("split"), patients, opts.splitFractions);
  return { counts, patients, admissions, icuStays, studies, images, edges };
}

/** `n` distinct sorted integers in [lo, hi), spread evenly with random gaps. */
function uniqueIds(rng: Rng, n: number, lo: number, hi: number): number[] {
  const gap = Math.floor((0.9 * (hi - lo)) / Math.max(n, 1));
  if (gap < 1) throw new RangeError(`cannot draw ${n} distinct ids in [${lo}, ${hi})`);
  const out: number[] = new Array(n);
  let v = lo;
  for (let i = 0; i < n; i++) {
    v += 1 + rng.int(2 * gap - 1);
    out[i] = v;
  }
  return out;
}

/** `k` distinct indices of `pool`, in random order (k capped at the pool size). */
function pick<T>(rng: Rng, pool: T[], k: number): T[] {
  const copy = pool.slice();
  const n = Math.min(k, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(copy.length - i);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

/**
 * How many of a rare case to plant among `pool` candidates: the rate, but at least one once there
 * are 20 candidates (so that small test cohorts have every case and tiny ones are not all cases).
 */
function rareCount(rate: number, pool: number): number {
  const n = Math.round(rate * pool);
  return pool < 20 ? n : Math.min(pool, Math.max(1, n));
}

function lognormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * rng.normal());
}

function exponential(rng: Rng, mean: number): number {
  return -mean * Math.log(1 - rng.uniform());
}

function makePatients(rng: Rng, counts: SynthCounts, edges: Record<string, number>): Patient[] {
  const ids = uniqueIds(rng, counts.patients, 10000000, 20000000);
  const anatomy = rng.fork("anatomy");
  const imagedIdx = new Set(
    pick(
      rng,
      Array.from({ length: counts.patients }, (_, i) => i),
      counts.imagedPatients,
    ),
  );
  const patients: Patient[] = ids.map((subjectId, i) => {
    const imaged = imagedIdx.has(i);
    // Imaged patients are older (MIMIC-CXR's median age is about 63).
    const rawAge = imaged ? rng.normal(62, 17) : rng.normal(48, 20);
    const anchorAge = rawAge > 89 ? 91 : Math.max(18, Math.round(rawAge));
    const anchorYear = 2110 + rng.int(91);
    const gender = rng.bernoulli(imaged ? 0.522 : 0.47) ? "M" : "F";
    const windowStart = daysFromCivil(anchorYear - 1 + rng.int(3), 1, 1) * DAY + rng.int(365) * DAY + rng.int(DAY);
    return {
      subjectId,
      gender,
      genderWritten: gender,
      inPatientsFile: true,
      imaged,
      anchorAge,
      anchorYear,
      anchorYearGroup: YEAR_GROUPS[rng.choice([0.15, 0.4, 0.4, 0.05])],
      death: NaN,
      frailty: rng.normal(),
      anatomySeed: anatomy.nextUint32(),
      admissions: [],
      windowStart,
      windowEnd: windowStart + Math.min(MAX_WINDOW, Math.round(lognormal(rng, 700, 0.6)) * DAY),
      split: "train",
    };
  });
  const imaged = patients.filter((p) => p.imaged);
  const missing = pick(rng, imaged, rareCount(RATES.notInPatients, imaged.length));
  for (const p of missing) p.inPatientsFile = false;
  const blank = pick(
    rng,
    imaged.filter((p) => p.inPatientsFile),
    rareCount(RATES.blankGender, imaged.length),
  );
  for (const p of blank) p.genderWritten = "";
  edges["subject not in patients.csv"] = missing.length;
  edges["blank gender"] = blank.length;
  return patients;
}

function makeStays(
  rng: Rng,
  patients: Patient[],
  edges: Record<string, number>,
): { admissions: Admission[]; icuStays: IcuStay[] } {
  const admissions: Admission[] = [];
  for (let pi = 0; pi < patients.length; pi++) {
    const p = patients[pi];
    if (!p.inPatientsFile) continue;
    // Imaged patients are admitted more often: 20% never, else 1 + geometric (mean 2.1 overall).
    const n = p.imaged
      ? rng.bernoulli(0.2)
        ? 0
        : 1 + Math.min(29, Math.floor(exponential(rng, 1.7)))
      : rng.bernoulli(0.35)
        ? 0
        : 1 + Math.floor(exponential(rng, 1.3));
    let t = p.windowStart + exponential(rng, 60 * DAY);
    // MIMIC-CXR spans 2011-2016: a patient's stays and studies fit in six years.
    const last = p.windowStart + MAX_WINDOW;
    for (let k = 0; k < n && t < last; k++) {
      const los = Math.max(6 * HOUR, lognormal(rng, 4 * DAY, 0.8));
      const type = ADMISSION_TYPES[rng.choice([0.35, 0.15, 0.15, 0.12, 0.1, 0.08, 0.05])];
      const admit = Math.round(t / 60) * 60;
      const disch = Math.round((admit + los) / 60) * 60;
      p.admissions.push(admissions.length);
      admissions.push({ hadmId: 0, patient: pi, admit, disch, expire: 0, type, edreg: NaN, icu: [] });
      t = disch + DAY + exponential(rng, 150 * DAY);
    }
    if (p.admissions.length)
      p.windowEnd = Math.max(p.windowEnd, admissions[p.admissions[p.admissions.length - 1]].disch);
  }
  // Overlapping admissions: the next one starts before the previous one is discharged.
  const followers: [Admission, Admission][] = [];
  for (const p of patients) {
    if (p.imaged)
      for (let k = 1; k < p.admissions.length; k++)
        followers.push([admissions[p.admissions[k - 1]], admissions[p.admissions[k]]]);
  }
  const overlaps = pick(rng, followers, rareCount(RATES.overlap, followers.length));
  for (const [prev, a] of overlaps) {
    const los = a.disch - a.admit;
    a.admit = Math.round((prev.disch - (0.2 + 0.3 * rng.uniform()) * (prev.disch - prev.admit)) / 60) * 60;
    a.disch = a.admit + los;
  }
  edges["overlapping admission"] = overlaps.length;

  const icuStays: IcuStay[] = [];
  for (let ai = 0; ai < admissions.length; ai++) {
    const a = admissions[ai];
    const p = patients[a.patient];
    if (a.type.includes("EMER") || a.type.includes("OBSERVATION"))
      a.edreg = a.admit - Math.round((1 + 7 * rng.uniform()) * 60) * 60;
    if (!rng.bernoulli(p.imaged ? 0.3 : 0.15)) continue;
    const stays = rng.bernoulli(0.06) ? 2 : 1;
    let from = a.admit + Math.round((rng.uniform() * 0.3 * (a.disch - a.admit)) / 60) * 60;
    for (let k = 0; k < stays && a.disch - from > 2 * HOUR; k++) {
      const intime = from + 60;
      const outtime = Math.min(
        a.disch - 60,
        intime + Math.round(Math.max(4 * HOUR, lognormal(rng, 2.5 * DAY, 0.8)) / 60) * 60,
      );
      a.icu.push(icuStays.length);
      icuStays.push({ stayId: 0, admission: ai, intime, outtime, careunit: CAREUNITS[rng.int(CAREUNITS.length)] });
      from = outtime + Math.round((6 * HOUR + rng.uniform() * DAY) / 60) * 60;
    }
  }
  // Death can only end a patient's last admission; sicker and older patients die more often.
  for (const p of patients) {
    if (!p.admissions.length) continue;
    const last = admissions[p.admissions[p.admissions.length - 1]];
    const age = yearOf(last.disch) - p.anchorYear + p.anchorAge;
    const z = (p.imaged ? -2.8 : -4.5) + 0.035 * (age - 65) + 1.7 * (last.icu.length > 0 ? 1 : 0) + 0.4 * p.frailty;
    if (rng.bernoulli(1 / (1 + Math.exp(-z)))) {
      last.expire = 1;
      p.death = last.disch;
    } else if (rng.bernoulli(0.08)) {
      p.death = p.windowEnd + exponential(rng, 365 * DAY);
    }
    if (last.expire) p.windowEnd = Math.min(p.windowEnd, last.disch);
  }
  const hadm = uniqueIds(rng, admissions.length, 20000000, 30000000);
  rng.shuffle(hadm);
  admissions.forEach((a, i) => (a.hadmId = hadm[i]));
  const stay = uniqueIds(rng, icuStays.length, 30000000, 40000000);
  rng.shuffle(stay);
  icuStays.forEach((s, i) => (s.stayId = stay[i]));
  return { admissions, icuStays };
}

function yearOf(t: number): number {
  return civilFromDays(dayOf(t)).y;
}

/** Spreads `studies` over the imaged patients (sicker patients get more) and gives each a time. */
function placeStudies(
  rng: Rng,
  patients: Patient[],
  admissions: Admission[],
  icuStays: IcuStay[],
  total: number,
  edges: Record<string, number>,
): Study[] {
  const imaged = patients.map((p, i) => (p.imaged ? i : -1)).filter((i) => i >= 0);
  const weights = imaged.map((i) => {
    const p = patients[i];
    const icu = p.admissions.reduce((n, a) => n + admissions[a].icu.length, 0);
    return Math.exp(0.8 * rng.normal()) * (0.5 + p.admissions.length + 3 * icu);
  });
  const perPatient = systematicAllocation(rng, weights, total - imaged.length).map((k) => k + 1);
  const ids = uniqueIds(rng, total, 50000000, 60000000);
  rng.shuffle(ids);
  const studies: Study[] = [];
  imaged.forEach((pi, j) => {
    const p = patients[pi];
    const adm = p.admissions.map((a) => admissions[a]);
    const admWeights = adm.map((a) => (1 + (a.disch - a.admit) / DAY) * (a.icu.length ? 3 : 1));
    for (let k = 0; k < perPatient[j]; k++) {
      let time: number;
      if (adm.length && rng.bernoulli(0.72)) {
        const a = adm[rng.choice(admWeights)];
        if (a.icu.length && rng.bernoulli(0.75)) {
          const s = icuStays[a.icu[rng.int(a.icu.length)]];
          time = s.intime + rng.uniform() * (s.outtime - s.intime);
        } else {
          time = a.admit + rng.uniform() * (a.disch - a.admit);
        }
      } else {
        time = outpatientTime(rng, p, adm);
      }
      studies.push({
        studyId: ids[studies.length],
        patient: pi,
        time: Math.round(time * 1000) / 1000,
        kind: "pa",
        position: "Erect",
        admission: -1,
        icu: 0,
        died: 0,
        age: 0,
        labels: [],
        hasLabelRow: true,
        edge: "",
        images: [],
      });
    }
  });
  plantStudyEdges(rng, patients, admissions, icuStays, studies, edges);
  return studies;
}

/** `total` units given out in proportion to `weights`, exactly (systematic sampling). */
function systematicAllocation(rng: Rng, weights: number[], total: number): number[] {
  const out = new Array(weights.length).fill(0);
  if (total <= 0) return out;
  const sum = weights.reduce((a, b) => a + b, 0);
  const step = sum / total;
  let next = rng.uniform() * step;
  let cum = 0;
  let given = 0;
  for (let i = 0; i < weights.length && given < total; i++) {
    cum += weights[i];
    while (next < cum && given < total) {
      out[i]++;
      given++;
      next += step;
    }
  }
  out[out.length - 1] += total - given; // floating-point leftovers
  return out;
}

/** A time in the patient's window at least a day away from every admission (and before death). */
function outpatientTime(rng: Rng, p: Patient, adm: Admission[]): number {
  const end = Number.isNaN(p.death) ? p.windowEnd : Math.min(p.windowEnd, p.death - DAY);
  for (let tries = 0; tries < 20; tries++) {
    const t = p.windowStart - 60 * DAY + rng.uniform() * Math.max(DAY, end - p.windowStart + 60 * DAY);
    if (t < end && adm.every((a) => t < a.admit - DAY || t > a.disch + DAY)) return t;
  }
  const first = adm.length ? Math.min(...adm.map((a) => a.admit)) : p.windowStart;
  return first - (30 + 60 * rng.uniform()) * DAY;
}

/** Moves a few inpatient studies onto the boundaries where date and time matching disagree. */
function plantStudyEdges(
  rng: Rng,
  patients: Patient[],
  admissions: Admission[],
  icuStays: IcuStay[],
  studies: Study[],
  edges: Record<string, number>,
): void {
  const inpatient = studies.filter((s) =>
    patients[s.patient].admissions.some((a) => admissions[a].admit <= s.time && s.time <= admissions[a].disch),
  );
  const pool = pick(rng, inpatient, inpatient.length);
  const plant = (name: StudyEdge, rate: number, move: (s: Study) => number | undefined) => {
    const want = rareCount(rate, inpatient.length);
    let done = 0;
    for (let i = 0; i < pool.length && done < want; i++) {
      const s = pool[i];
      if (s.edge) continue;
      const t = move(s);
      if (t === undefined) continue;
      s.time = t;
      s.edge = name;
      done++;
    }
    edges[name] = done;
  };
  const holding = (s: Study) =>
    patients[s.patient].admissions.map((a) => admissions[a]).find((a) => a.admit <= s.time && s.time <= a.disch)!;
  const dayStart = (t: number) => dayOf(t) * DAY;
  plant("ed-before-admit", RATES.edBeforeAdmit, (s) => {
    const a = holding(s);
    const room = Math.min(a.admit - dayStart(a.admit), 6 * HOUR);
    return room > 30 * 60 ? a.admit - 60 - Math.floor(rng.uniform() * (room - 120)) : undefined;
  });
  plant("after-discharge", RATES.afterDischarge, (s) => {
    const a = holding(s);
    const room = dayStart(a.disch) + DAY - a.disch;
    return !a.expire && room > 30 * 60 ? a.disch + 60 + Math.floor(rng.uniform() * (room - 120)) : undefined;
  });
  plant("at-icu-out", RATES.atIcuOut, (s) => {
    const a = holding(s);
    return a.icu.length ? icuStays[a.icu[rng.int(a.icu.length)]].outtime : undefined;
  });
  plant("icu-out-day", RATES.icuOutDay, (s) => {
    const a = holding(s);
    if (!a.icu.length) return undefined;
    const out = icuStays[a.icu[a.icu.length - 1]].outtime;
    const room = Math.min(dayStart(out) + DAY, a.disch) - out;
    return room > 30 * 60 ? out + 60 + Math.floor(rng.uniform() * (room - 120)) : undefined;
  });
}

/**
 * The truth the cohort must find with its default rule (`stayMatch: "date"`): the admission whose
 * calendar days hold the study day (several: the one that also holds the time, then the latest),
 * ICU if any stay's days hold it, and that admission's death flag. Written independently of the
 * cohort's code so that each checks the other.
 */
function matchStudy(s: Study, patients: Patient[], admissions: Admission[], icuStays: IcuStay[]): void {
  const p = patients[s.patient];
  const day = dayOf(s.time);
  let best = -1;
  for (const ai of p.admissions) {
    const a = admissions[ai];
    if (dayOf(a.admit) > day || day > dayOf(a.disch)) continue;
    if (best < 0 || better(a, admissions[best], s.time)) best = ai;
    for (const si of a.icu) if (dayOf(icuStays[si].intime) <= day && day <= dayOf(icuStays[si].outtime)) s.icu = 1;
  }
  s.admission = best;
  s.died = best >= 0 ? admissions[best].expire : 0;
  s.age = yearOf(s.time) - p.anchorYear + p.anchorAge;
}

function better(a: Admission, b: Admission, t: number): boolean {
  const ain = a.admit <= t && t <= a.disch;
  const bin = b.admit <= t && t <= b.disch;
  if (ain !== bin) return ain;
  return a.admit !== b.admit ? a.admit > b.admit : a.hadmId > b.hadmId;
}

/** Images of each study (views, positions), exactly `total` of them, and what the metadata says. */
function makeImages(rng: Rng, studies: Study[], total: number, edges: Record<string, number>): Image[] {
  const views: View[][] = studies.map((s) => {
    const inpatient = s.admission >= 0;
    s.kind = rng.bernoulli(s.icu ? 0.93 : inpatient ? 0.6 : 0.16) ? "portable" : "pa";
    const recumbentP = s.kind === "pa" ? 0.01 : s.icu ? 0.65 : inpatient ? 0.45 : 0.2;
    s.position = rng.bernoulli(recumbentP) ? "Recumbent" : "Erect";
    if (s.kind === "portable") return (["AP", "AP", "LATERAL"] as View[]).slice(0, 1 + rng.choice([0.85, 0.13, 0.02]));
    const lateral: View = rng.bernoulli(0.3) ? "LL" : "LATERAL";
    return (["PA", lateral, lateral === "LL" ? "LATERAL" : "LL", "PA"] as View[]).slice(
      0,
      1 + rng.choice([0.08, 0.8, 0.1, 0.02]),
    );
  });
  // Exact total: add a lateral (or a repeat frontal) to random studies, or drop extra images.
  let count = views.reduce((n, v) => n + v.length, 0);
  while (count < total) {
    const v = views[rng.int(views.length)];
    if (v.length >= 4) continue;
    v.push(v.includes("LATERAL") ? v[0] : "LATERAL");
    count++;
  }
  while (count > total) {
    const v = views[rng.int(views.length)];
    if (v.length < 2) continue;
    v.pop();
    count--;
  }
  const images: Image[] = [];
  const seen = new Set<string>();
  studies.forEach((s, si) => {
    for (const view of views[si]) {
      const frontal = view === "PA" || view === "AP";
      const position: Position = frontal
        ? s.position
        : s.kind === "portable" && s.position === "Recumbent"
          ? "Recumbent"
          : "Erect";
      let dicomId = hexId(rng);
      while (seen.has(dicomId)) dicomId = hexId(rng);
      seen.add(dicomId);
      const portrait = view !== "AP" || rng.bernoulli(0.5);
      s.images.push(images.length);
      images.push({
        dicomId,
        study: si,
        view,
        position,
        viewWritten: view,
        positionWritten: position,
        rows: portrait ? 3056 : 2544,
        columns: portrait ? 2544 : 3056,
        seed: rng.nextUint32(),
      });
    }
  });
  const blankViews = images.filter(() => rng.bernoulli(RATES.blankView));
  if (!blankViews.length && images.length >= 20) blankViews.push(images[rng.int(images.length)]);
  for (const im of blankViews) im.viewWritten = "";
  const others = pick(
    rng,
    images.filter((im) => im.viewWritten !== ""),
    rareCount(RATES.otherView, images.length),
  );
  for (const im of others) im.viewWritten = OTHER_VIEWS[im.view][rng.int(OTHER_VIEWS[im.view].length)];
  let blankPositions = 0;
  for (const im of images) {
    if (rng.bernoulli(im.viewWritten === "" ? 0.5 : RATES.blankPosition)) {
      im.positionWritten = "";
      blankPositions++;
    }
  }
  edges["blank view"] = blankViews.length;
  edges["other view code"] = others.length;
  edges["blank position"] = blankPositions;
  return images;
}

function hexId(rng: Rng): string {
  let s = "";
  for (let i = 0; i < 5; i++) s += (i ? "-" : "") + rng.nextUint32().toString(16).padStart(8, "0");
  return s;
}

/** CheXpert labels of every study from its state (see model.ts), and a few studies left unlabelled. */
function labelStudies(rng: Rng, patients: Patient[], studies: Study[], edges: Record<string, number>): void {
  const noFinding = CHEXPERT_LABELS.indexOf("No Finding");
  const index = FINDINGS.map((f) => CHEXPERT_LABELS.indexOf(f.label));
  for (const s of studies) {
    const p = patients[s.patient];
    const state: StudyState = {
      age: (s.age - 60) / 15,
      male: p.gender === "M" ? 1 : 0,
      inpatient: s.admission >= 0 ? 1 : 0,
      icu: s.icu,
      died: s.died,
      portable: s.kind === "portable" ? 1 : 0,
      recumbent: s.position === "Recumbent" ? 1 : 0,
      frailty: p.frailty,
    };
    const labels: LabelValue[] = new Array(CHEXPERT_LABELS.length).fill(NaN);
    let pathology = false;
    FINDINGS.forEach((f, k) => {
      const present = rng.bernoulli(findingProbability(f, state));
      const v = present
        ? rng.bernoulli(f.uncertain)
          ? -1
          : 1
        : rng.bernoulli(0.003)
          ? -1
          : rng.bernoulli(f.negative)
            ? 0
            : NaN;
      labels[index[k]] = v;
      if (f.label !== "Support Devices" && (v === 1 || v === -1)) pathology = true;
    });
    labels[noFinding] = pathology ? NaN : 1;
    s.labels = labels;
  }
  const unlabelled = pick(rng, studies, rareCount(RATES.noLabels, studies.length));
  for (const s of unlabelled) {
    s.hasLabelRow = false;
    if (!s.edge) s.edge = "no-labels";
  }
  edges["study without labels"] = unlabelled.length;
}

function assignSplits(rng: Rng, patients: Patient[], f: { validate: number; test: number }): void {
  for (const p of patients) {
    if (!p.imaged) continue;
    const u = rng.uniform();
    p.split = u < f.test ? "test" : u < f.test + f.validate ? "validate" : "train";
  }
}
