import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from "../../src/model/safetensors";
import { InputError } from "../../src/util/errors";
import { golden } from "./support";

/** Safetensors bytes with a hand-written header, as another writer would produce them. */
function raw(header: object, data: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

test("round trip: float32 and int32 tensors, metadata, 8-byte aligned header", () => {
  const a = Float32Array.from([1.5, -2, 3e-8, 0, Math.PI, 7]);
  const b = Int32Array.from([-3, 0, 2147483647]);
  const bytes = serializeSafetensors(
    [
      ["a", { shape: [2, 3], data: a }],
      ["b", { shape: [3], data: b }],
    ],
    { note: "x" },
  );
  assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0);
  const back = parseSafetensors(bytes);
  assert.deepEqual(back.metadata, { note: "x" });
  assert.deepEqual(back.tensors.get("a"), { dtype: "F32", shape: [2, 3], data: a });
  assert.deepEqual(back.tensors.get("b"), { dtype: "I32", shape: [3], data: b });
});

test("reads F16, BF16, F64 and I64 as PyTorch writes them", () => {
  const data = Buffer.alloc(2 * 3 + 2 * 2 + 8 * 2 + 8 * 2);
  // float16: 1.0 = 0x3c00, -2.5 = 0xc100, 2^-24 (smallest subnormal) = 0x0001
  data.writeUInt16LE(0x3c00, 0);
  data.writeUInt16LE(0xc100, 2);
  data.writeUInt16LE(0x0001, 4);
  // bfloat16: 1.0 = 0x3f80, -0.5 = 0xbf00
  data.writeUInt16LE(0x3f80, 6);
  data.writeUInt16LE(0xbf00, 8);
  data.writeDoubleLE(0.1, 10);
  data.writeDoubleLE(-1e10, 18);
  data.writeBigInt64LE(-5n, 26);
  data.writeBigInt64LE(196n, 34);
  const f = parseSafetensors(
    raw(
      {
        h: { dtype: "F16", shape: [3], data_offsets: [0, 6] },
        bf: { dtype: "BF16", shape: [2], data_offsets: [6, 10] },
        d: { dtype: "F64", shape: [2], data_offsets: [10, 26] },
        i: { dtype: "I64", shape: [1, 2], data_offsets: [26, 42] },
      },
      data,
    ),
  );
  assert.deepEqual([...f.tensors.get("h")!.data], [1, -2.5, 2 ** -24]);
  assert.deepEqual([...f.tensors.get("bf")!.data], [1, -0.5]);
  assert.deepEqual([...f.tensors.get("d")!.data], [Math.fround(0.1), -1e10]);
  assert.deepEqual([...f.tensors.get("i")!.data], [-5, 196]);
  assert.ok(f.tensors.get("i")!.data instanceof Int32Array);
});

test("reads the fixtures written by the Python safetensors package", () => {
  const { tensors } = readSafetensors(golden("msn_inputs.safetensors"));
  assert.equal(tensors.get("target")!.dtype, "F16");
  assert.deepEqual(tensors.get("focal")!.shape, [40, 24, 24, 3]);
  assert.equal(tensors.get("anchor_keep")!.dtype, "I32");
});

test("refuses truncated, overlapping, mis-sized and non-safetensors input with the reason", () => {
  const good = serializeSafetensors([["w", { shape: [4], data: new Float32Array(4) }]]);
  assert.throws(
    () => parseSafetensors(good.subarray(0, good.length - 3), "w.safetensors"),
    (e: unknown) =>
      e instanceof InputError &&
      /w\.safetensors/.test(e.message) &&
      /tensor "w" to end within the 13 data bytes/.test(e.message),
  );
  assert.throws(() => parseSafetensors(Buffer.from("not a file at all")), /header of at most/);
  assert.throws(() => parseSafetensors(Buffer.alloc(4)), /at least 8 bytes/);
  const overlap = raw(
    { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } },
    Buffer.alloc(12),
  );
  assert.throws(() => parseSafetensors(overlap), /do not overlap/);
  const sized = raw({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8));
  assert.throws(() => parseSafetensors(sized), /of 12 bytes/);
  const dtype = raw({ a: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1));
  assert.throws(() => parseSafetensors(dtype), /with a dtype of/);
  assert.throws(
    () => readSafetensors("/nonexistent/x.safetensors"),
    /nonexistent\/x\.safetensors: expected a readable/,
  );
});

test("writeSafetensors replaces the file atomically and leaves no temporary file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "st-"));
  const file = path.join(dir, "w.safetensors");
  writeSafetensors(file, [["x", { shape: [1], data: Float32Array.from([1]) }]]);
  writeSafetensors(file, [["x", { shape: [1], data: Float32Array.from([2]) }]]);
  assert.deepEqual([...readSafetensors(file).tensors.get("x")!.data], [2]);
  assert.deepEqual(fs.readdirSync(dir), ["w.safetensors"]);
  fs.rmSync(dir, { recursive: true });
});
