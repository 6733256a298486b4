/**
 * A small anti-aliased rasteriser for the phantoms: polygons, strokes, ellipses and Gaussian
 * blobs added into float layers, in normalised coordinates (units of the image height, so a
 * phantom looks the same at every resolution) under a patient pose (rotation, scale, shift).
 *
 * Hand-written: sharp/libvips draw only through SVG, which would mean building and parsing a
 * large SVG per image and could not add densities into separate layers; every primitive here
 * touches only its own bounding box, which keeps a 512 px phantom at a few milliseconds.
 */

/** A point in normalised units: x in [0, aspect], y in [0, 1], y downwards. */
export interface Pt {
  x: number;
  y: number;
}

/** Where the patient sits on the detector: rotation (radians) and scale about `centre`, then a shift. */
export interface Pose {
  centre: Pt;
  angle: number;
  scale: number;
  shift: Pt;
}

/** A float image the size of the phantom. */
export type Layer = Float32Array;

const freeLayers = new Map<number, Layer[]>();

export class Painter {
  readonly width: number;
  readonly height: number;
  /** Pixels per normalised unit. */
  readonly unit: number;
  private readonly cos: number;
  private readonly sin: number;
  private readonly rowCover: Float32Array;
  private readonly rowRun: Float32Array;
  /** Stroke coverage, combined by max within one stroke and cleared as it is flushed. */
  private readonly scratch: Float32Array;

  private readonly owned: Layer[] = [];

  constructor(
    width: number,
    height: number,
    readonly pose: Pose,
  ) {
    this.width = width;
    this.height = height;
    this.unit = height;
    this.cos = Math.cos(pose.angle);
    this.sin = Math.sin(pose.angle);
    this.rowCover = new Float32Array(width + 2);
    this.rowRun = new Float32Array(width + 2);
    this.scratch = this.layer();
  }

  /** A zeroed layer, reused from earlier phantoms of the same size (allocation and GC dominated small renders). */
  layer(): Layer {
    const n = this.width * this.height;
    const l = freeLayers.get(n)?.pop();
    if (l) l.fill(0);
    const layer = l ?? new Float32Array(n);
    this.owned.push(layer);
    return layer;
  }

  /** Returns this painter's layers for reuse; none of them may be used afterwards. */
  release(): void {
    for (const l of this.owned) {
      const list = freeLayers.get(l.length) ?? [];
      if (list.length < 16) list.push(l);
      freeLayers.set(l.length, list);
    }
    this.owned.length = 0;
  }

  /** Pixel position (continuous, pixel centres at +0.5) of a normalised anatomical point. */
  toPixel(p: Pt): Pt {
    const { centre, scale, shift } = this.pose;
    const dx = (p.x - centre.x) * scale;
    const dy = (p.y - centre.y) * scale;
    return {
      x: (centre.x + shift.x + this.cos * dx - this.sin * dy) * this.unit,
      y: (centre.y + shift.y + this.sin * dx + this.cos * dy) * this.unit,
    };
  }

  /** The normalised anatomical point at pixel position (x, y): the inverse of `toPixel`. */
  toNorm(x: number, y: number): Pt {
    const { centre, scale, shift } = this.pose;
    const dx = x / this.unit - centre.x - shift.x,
      dy = y / this.unit - centre.y - shift.y;
    return {
      x: centre.x + (this.cos * dx + this.sin * dy) / scale,
      y: centre.y + (-this.sin * dx + this.cos * dy) / scale,
    };
  }

  /** Length in pixels of a normalised length. */
  px(len: number): number {
    return len * this.pose.scale * this.unit;
  }

  /** Adds `value` times the polygon's coverage (4 sub-rows per row, exact horizontal coverage). */
  polygon(layer: Layer, pts: readonly Pt[], value: number): void {
    this.polygonInto([[layer, value]], pts);
  }

  /** `polygon` into several layers at once, each with its own value (one rasterisation). */
  polygonInto(targets: readonly (readonly [Layer, number])[], pts: readonly Pt[]): void {
    const n = pts.length;
    const qx = new Float64Array(n),
      qy = new Float64Array(n);
    let y0 = Infinity,
      y1 = -Infinity,
      x0 = Infinity,
      x1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const p = this.toPixel(pts[i]);
      qx[i] = p.x;
      qy[i] = p.y;
      y0 = Math.min(y0, p.y);
      y1 = Math.max(y1, p.y);
      x0 = Math.min(x0, p.x);
      x1 = Math.max(x1, p.x);
    }
    const W = this.width;
    const rowStart = Math.max(0, Math.floor(y0));
    const rowEnd = Math.min(this.height - 1, Math.ceil(y1));
    const colStart = Math.max(0, Math.floor(x0));
    const colEnd = Math.min(W - 1, Math.ceil(x1));
    if (rowStart > rowEnd || colStart > colEnd) return;
    // Partial pixels at span ends go to `cover`; runs of whole pixels to the difference array `run`.
    const cover = this.rowCover,
      run = this.rowRun;
    const xs: number[] = [];
    for (let r = rowStart; r <= rowEnd; r++) {
      cover.fill(0, colStart, colEnd + 2);
      run.fill(0, colStart, colEnd + 2);
      for (let s = 0; s < 4; s++) {
        const ys = r + (s + 0.5) / 4;
        xs.length = 0;
        for (let i = 0, j = n - 1; i < n; j = i++) {
          if (qy[i] > ys !== qy[j] > ys) xs.push(qx[i] + ((ys - qy[i]) * (qx[j] - qx[i])) / (qy[j] - qy[i]));
        }
        if (xs.length > 2) xs.sort((u, v) => u - v);
        else if (xs.length === 2 && xs[0] > xs[1]) xs.reverse();
        for (let k = 0; k + 1 < xs.length; k += 2) {
          const a = Math.max(xs[k], colStart),
            b = Math.min(xs[k + 1], colEnd + 1);
          if (b <= a) continue;
          const ia = Math.floor(a),
            ib = Math.floor(b);
          if (ia === ib) {
            cover[ia] += 0.25 * (b - a);
            continue;
          }
          cover[ia] += 0.25 * (ia + 1 - a);
          run[ia + 1] += 0.25;
          run[ib] -= 0.25;
          if (ib <= colEnd) cover[ib] += 0.25 * (b - ib);
        }
      }
      const base = r * W;
      let acc = 0;
      for (let c = colStart; c <= colEnd; c++) {
        acc += run[c];
        cover[c] += acc;
      }
      for (let k = 0; k < targets.length; k++) {
        const layer = targets[k][0],
          value = targets[k][1];
        for (let c = colStart; c <= colEnd; c++) if (cover[c] !== 0) layer[base + c] += value * cover[c];
      }
    }
  }

  /** Adds `value` inside an ellipse (radii in normalised units, `angle` relative to the patient), edge `soft` pixels wide. */
  ellipse(layer: Layer, c: Pt, rx: number, ry: number, value: number, angle = 0, soft = 1): void {
    this.ellipseInto([[layer, value]], c, rx, ry, angle, soft);
  }

  /** `ellipse` into several layers at once, each with its own value. */
  ellipseInto(
    targets: readonly (readonly [Layer, number])[],
    c: Pt,
    rx: number,
    ry: number,
    angle = 0,
    soft = 1,
  ): void {
    const p = this.toPixel(c);
    const a = this.px(rx),
      b = this.px(ry);
    const th = angle + this.pose.angle;
    const ct = Math.cos(th),
      st = Math.sin(th);
    const m = Math.min(a, b);
    const r = Math.max(a, b) + soft + 1;
    const { c0, c1, r0, r1 } = this.box(p.x - r, p.y - r, p.x + r, p.y + r);
    for (let row = r0; row <= r1; row++) {
      const dy = row + 0.5 - p.y;
      const base = row * this.width;
      for (let col = c0; col <= c1; col++) {
        const dx = col + 0.5 - p.x;
        const u = (ct * dx + st * dy) / a,
          v = (-st * dx + ct * dy) / b;
        // Distance to the outline in pixels, approximately (exact on circles).
        let cov = 0.5 - ((Math.sqrt(u * u + v * v) - 1) * m) / soft;
        if (cov <= 0) continue;
        if (cov > 1) cov = 1;
        for (let k = 0; k < targets.length; k++) targets[k][0][base + col] += targets[k][1] * cov;
      }
    }
  }

  /** Adds a Gaussian blob of peak `value` and standard deviation `sigma` (normalised), stretched by `aspect` along y. */
  blob(layer: Layer, c: Pt, sigma: number, value: number, aspect = 1, angle = 0): void {
    const p = this.toPixel(c);
    const sx = Math.max(0.5, this.px(sigma)),
      sy = Math.max(0.5, this.px(sigma * aspect));
    const th = angle + this.pose.angle;
    const ct = Math.cos(th),
      st = Math.sin(th);
    const r = 3 * Math.max(sx, sy);
    const { c0, c1, r0, r1 } = this.box(p.x - r, p.y - r, p.x + r, p.y + r);
    for (let row = r0; row <= r1; row++) {
      const dy = row + 0.5 - p.y;
      const base = row * this.width;
      for (let col = c0; col <= c1; col++) {
        const dx = col + 0.5 - p.x;
        const u = (ct * dx + st * dy) / sx,
          v = (-st * dx + ct * dy) / sy;
        const e = 0.5 * (u * u + v * v);
        if (e < 4.5) layer[base + col] += value * Math.exp(-e);
      }
    }
  }

  /**
   * Adds a polyline of `width` (normalised). Lines thinner than a pixel keep their integrated
   * density (fainter, not thinner), so downsampled phantoms keep their devices and fissures.
   * `core` adds a second, narrower band along the same line in the same pass (a bone's marrow,
   * less dense than its cortex, is a negative core).
   */
  stroke(
    layer: Layer,
    pts: readonly Pt[],
    width: number,
    value: number,
    core?: { width: number; value: number },
  ): void {
    if (pts.length < 2) return;
    let w = this.px(width),
      v = value;
    if (w < 1) {
      v *= w;
      w = 1;
    }
    const half = w / 2,
      coreHalf = core ? this.px(core.width) / 2 : 0,
      coreV = core ? core.value : 0;
    // Scratch holds reach - distance (max over segments = reach - distance to the polyline), 0 untouched.
    const reach = half + 1;
    const S = this.scratch,
      W = this.width;
    let bx0 = Infinity,
      by0 = Infinity,
      bx1 = -Infinity,
      by1 = -Infinity;
    let prev = this.toPixel(pts[0]);
    for (let k = 1; k < pts.length; k++) {
      const a = prev,
        b = this.toPixel(pts[k]);
      prev = b;
      const ex = b.x - a.x,
        ey = b.y - a.y;
      const len2 = ex * ex + ey * ey || 1e-12;
      const x0 = Math.min(a.x, b.x) - reach,
        x1 = Math.max(a.x, b.x) + reach;
      const y0 = Math.min(a.y, b.y) - reach,
        y1 = Math.max(a.y, b.y) + reach;
      bx0 = Math.min(bx0, x0);
      by0 = Math.min(by0, y0);
      bx1 = Math.max(bx1, x1);
      by1 = Math.max(by1, y1);
      const { c0, c1, r0, r1 } = this.box(x0, y0, x1, y1);
      for (let row = r0; row <= r1; row++) {
        const y = row + 0.5;
        const base = row * W;
        for (let col = c0; col <= c1; col++) {
          const x = col + 0.5;
          let t = ((x - a.x) * ex + (y - a.y) * ey) / len2;
          t = t < 0 ? 0 : t > 1 ? 1 : t;
          const dx = x - (a.x + t * ex),
            dy = y - (a.y + t * ey);
          const r = reach - Math.sqrt(dx * dx + dy * dy);
          if (r > S[base + col]) S[base + col] = r;
        }
      }
    }
    const { c0, c1, r0, r1 } = this.box(bx0, by0, bx1, by1);
    for (let row = r0; row <= r1; row++) {
      const base = row * W;
      for (let col = c0; col <= c1; col++) {
        const r = S[base + col];
        if (r === 0) continue;
        S[base + col] = 0;
        const d = reach - r;
        let cov = 0.5 - (d - half);
        if (cov <= 0) continue;
        layer[base + col] += v * (cov > 1 ? 1 : cov);
        if (coreV !== 0) {
          cov = 0.5 - (d - coreHalf);
          if (cov > 0) layer[base + col] += coreV * (cov > 1 ? 1 : cov);
        }
      }
    }
  }

  /** Pixel rows and columns whose centres lie in the box, clipped to the image. */
  box(x0: number, y0: number, x1: number, y1: number): { c0: number; c1: number; r0: number; r1: number } {
    return {
      c0: Math.max(0, Math.floor(x0)),
      c1: Math.min(this.width - 1, Math.ceil(x1)),
      r0: Math.max(0, Math.floor(y0)),
      r1: Math.min(this.height - 1, Math.ceil(y1)),
    };
  }

  /**
   * Calls `f(index, x, y)` for every pixel whose centre (x, y) lies in the box, clipped to the image.
   * The callback costs a call per pixel: for the few bounded, finding-specific shapes only.
   */
  forBox(x0: number, y0: number, x1: number, y1: number, f: (i: number, x: number, y: number) => void): void {
    const { c0, c1, r0, r1 } = this.box(x0, y0, x1, y1);
    for (let r = r0; r <= r1; r++) {
      const y = r + 0.5;
      const base = r * this.width;
      for (let c = c0; c <= c1; c++) f(base + c, c + 0.5, y);
    }
  }
}

/** Points of a cubic Bézier curve (for ribs, tubes and outlines). */
export function bezier(p0: Pt, p1: Pt, p2: Pt, p3: Pt, n = 16): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i <= n; i++) {
    const t = i / n,
      u = 1 - t;
    const a = u * u * u,
      b = 3 * u * u * t,
      c = 3 * u * t * t,
      d = t * t * t;
    out.push({ x: a * p0.x + b * p1.x + c * p2.x + d * p3.x, y: a * p0.y + b * p1.y + c * p2.y + d * p3.y });
  }
  return out;
}

/** Whether `p` lies inside the polygon (even-odd rule). */
export function insidePolygon(p: Pt, poly: readonly Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i],
      b = poly[j];
    if (a.y > p.y !== b.y > p.y && p.x < a.x + ((p.y - a.y) * (b.x - a.x)) / (b.y - a.y)) inside = !inside;
  }
  return inside;
}

/** The polygon scaled by `s` about `c`. */
export function scaleAbout(poly: readonly Pt[], c: Pt, s: number): Pt[] {
  return poly.map((p) => ({ x: c.x + s * (p.x - c.x), y: c.y + s * (p.y - c.y) }));
}
