/**
 * PyTorch's bicubic resampling (`F.interpolate(mode="bicubic", align_corners=False)`, cubic
 * convolution with A = -0.75, border taps clamped) as a matrix, so that resizing a grid is a matMul:
 * TF.js has no bicubic resize, and a matMul is differentiable on every backend.
 */

const A = -0.75;

function cubic1(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

function cubic2(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

/**
 * The `outSize` x `inSize` matrix W (row-major) with `out = W · in` along one axis.
 * `scaleFactor` is the factor passed to `F.interpolate(scale_factor=...)`: PyTorch then maps output
 * pixel i to the source coordinate (i + 0.5) / scaleFactor - 0.5; without it, the ratio of sizes is used.
 */
export function bicubicMatrix(inSize: number, outSize: number, scaleFactor?: number): Float64Array {
  const scale = scaleFactor !== undefined && scaleFactor > 0 ? 1 / scaleFactor : inSize / outSize;
  const w = new Float64Array(outSize * inSize);
  const clamp = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  for (let i = 0; i < outSize; i++) {
    const src = scale * (i + 0.5) - 0.5;
    // PyTorch's guard_index_and_lambda: the base tap stays inside the input, the fraction in [0, 1].
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const t = Math.min(Math.max(src - i0, 0), 1);
    const coeffs = [cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)];
    for (let k = 0; k < 4; k++) w[i * inSize + clamp(i0 - 1 + k)] += coeffs[k];
  }
  return w;
}

/**
 * The (outSide²) x (inSide²) matrix that resizes a square grid stored row-major (index y·side + x),
 * the Kronecker product of the 1-D matrices: out[y, x] = Σ W[y, a] · W[x, b] · in[a, b].
 */
export function bicubicGridMatrix(inSide: number, outSide: number, scaleFactor?: number): Float32Array {
  const w = bicubicMatrix(inSide, outSide, scaleFactor);
  const n = inSide * inSide;
  const k = new Float32Array(outSide * outSide * n);
  for (let y = 0; y < outSide; y++) {
    for (let x = 0; x < outSide; x++) {
      const row = (y * outSide + x) * n;
      for (let a = 0; a < inSide; a++) {
        const wya = w[y * inSide + a];
        if (wya === 0) continue;
        for (let b = 0; b < inSide; b++) k[row + a * inSide + b] = wya * w[x * inSide + b];
      }
    }
  }
  return k;
}
