/**
 * Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
 * an 8-byte little-endian header length N, N bytes of JSON header
 * (`{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { key: string } }`),
 * then the raw little-endian tensor bytes.
 *
 * Written here rather than taken from npm: the npm registry list available to this project has no
 * maintained JavaScript package for the format, and the format is small enough to implement and check
 * completely (every offset, length and dtype is validated, so a truncated or corrupt file is refused
 * with the reason).
 */
import * as fs from "fs";
import { writeFileAtomic } from "../util/atomicWrite";
import { InputError } from "../util/errors";

/** Dtypes read. Floating types are returned as Float32Array, integer and bool types as Int32Array. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface SafeTensor {
  /** The dtype stored in the file. */
  dtype: string;
  shape: number[];
  /** Values in row-major order: float dtypes widened to float32, integer dtypes to int32. */
  data: Float32Array | Int32Array;
}

export interface SafeTensorsFile {
  tensors: Map<string, SafeTensor>;
  /** The free-form `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
}

/** Reads a .safetensors file; throws InputError naming the file and what is wrong with it. */
export function readSafetensors(file: string): SafeTensorsFile {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new InputError({ file, expected: "a readable .safetensors file", found: (e as Error).message });
  }
  return parseSafetensors(buf, file);
}

/** Parses safetensors bytes (`source` names them in errors). */
export function parseSafetensors(buf: Uint8Array, source = "safetensors data"): SafeTensorsFile {
  const bad = (expected: string, found: string): never => {
    throw new InputError({
      file: source,
      expected,
      found,
      hint: "The file is truncated, corrupt or not a safetensors file.",
    });
  };
  if (buf.byteLength < 8) bad("at least 8 bytes (the header length)", `${buf.byteLength} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > buf.byteLength - 8)
    bad(`a header of at most ${buf.byteLength - 8} bytes`, `a header length of ${headerLen}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, headerLen).toString("utf8"));
  } catch (e) {
    return bad("a JSON header", `unparsable JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header))
    return bad("a JSON object header", typeof header);
  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const bytes = typeof e.dtype === "string" ? DTYPE_BYTES[e.dtype] : undefined;
    if (bytes === undefined)
      bad(`tensor "${name}" with a dtype of ${Object.keys(DTYPE_BYTES).join(", ")}`, JSON.stringify(e.dtype));
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      bad(`tensor "${name}" with a shape of non-negative integers`, JSON.stringify(shape));
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      bad(`tensor "${name}" with data_offsets [begin, end]`, JSON.stringify(offsets));
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * bytes!)
      bad(
        `tensor "${name}" of ${count * bytes!} bytes (shape ${JSON.stringify(shape)}, ${e.dtype})`,
        `${end - begin} bytes`,
      );
    if (end > dataLen) bad(`tensor "${name}" to end within the ${dataLen} data bytes`, `an end offset of ${end}`);
    spans.push([begin, end, name]);
    tensors.set(name, {
      dtype: e.dtype as string,
      shape: shape as number[],
      data: decode(buf, dataStart + begin, count, e.dtype as string),
    });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1])
      bad("tensors whose bytes do not overlap", `"${spans[i - 1][2]}" and "${spans[i][2]}" overlapping`);
  }
  return { tensors, metadata };
}

function decode(buf: Uint8Array, at: number, count: number, dtype: string): Float32Array | Int32Array {
  const view = new DataView(buf.buffer, buf.byteOffset + at, count * DTYPE_BYTES[dtype]);
  switch (dtype) {
    case "F32": {
      // A copy: the data may not be 4-byte aligned in the file buffer.
      const out = new Float32Array(count);
      new Uint8Array(out.buffer).set(new Uint8Array(buf.buffer, buf.byteOffset + at, count * 4));
      return out;
    }
    case "F64":
      return Float32Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true));
    case "F16":
      return Float32Array.from({ length: count }, (_, i) => halfToFloat(view.getUint16(i * 2, true)));
    case "BF16": {
      const out = new Float32Array(count);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case "I64":
      return Int32Array.from({ length: count }, (_, i) => {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) throw new RangeError(`int64 value ${v} does not fit in int32`);
        return Number(v);
      });
    case "I32":
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
    case "I16":
      return Int32Array.from({ length: count }, (_, i) => view.getInt16(i * 2, true));
    case "I8":
      return Int32Array.from({ length: count }, (_, i) => view.getInt8(i));
    default:
      return Int32Array.from({ length: count }, (_, i) => view.getUint8(i)); // U8, BOOL
  }
}

/** IEEE 754 half precision to number (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A tensor to write: float32 data is stored as F32, int32 data as I32. */
export interface TensorToWrite {
  shape: number[];
  data: Float32Array | Int32Array;
}

/**
 * Serialises tensors (in the order given) and string metadata to safetensors bytes.
 * The header is padded with spaces to a multiple of 8 bytes, as the reference implementation does.
 */
export function serializeSafetensors(
  tensors: Iterable<[string, TensorToWrite]>,
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new RangeError(
        `tensor "${name}": shape ${JSON.stringify(t.shape)} holds ${count} values, data has ${t.data.length}`,
      );
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = {
      dtype: t.data instanceof Float32Array ? "F32" : "I32",
      shape: t.shape,
      data_offsets: [offset, offset + bytes.byteLength],
    };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json, "utf8"), ...parts]);
}

/**
 * Writes a .safetensors file atomically: to a temporary file in the same folder, flushed to disk,
 * then renamed over `file`, so a crash at any moment leaves either the old file or the new one.
 */
export function writeSafetensors(
  file: string,
  tensors: Iterable<[string, TensorToWrite]>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}
