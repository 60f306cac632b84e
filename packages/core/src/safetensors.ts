/**
 * safetensors (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets}}` (plus `__metadata__`), then the raw little-endian tensor bytes.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from './fsutil';

export type DType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'I64' | 'I8' | 'U8';

export interface NamedTensor {
  dtype: DType;
  shape: number[];
  /** F16 and BF16 values are their raw 16-bit patterns (`asFloat32` converts) */
  data: Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Int8Array | Uint8Array;
}

export type TensorMap = Map<string, NamedTensor>;

const BYTES: Record<DType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8, I8: 1, U8: 1 };

export function f32(shape: number[], data: Float32Array): NamedTensor {
  return { dtype: 'F32', shape, data };
}

export function writeSafetensors(file: string, tensors: TensorMap, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected) throw new Error(`tensor ${name}: shape [${t.shape}] needs ${expected} values, has ${t.data.length}`);
    const size = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
    pos += t.data.byteLength;
  }
  writeFileAtomic(file, out);
}

export function readSafetensors(file: string): { tensors: TensorMap; metadata: Record<string, string> } {
  if (!fs.existsSync(file)) throw new Error(`${file}: checkpoint file not found`);
  const buf = fs.readFileSync(file);
  if (buf.length < 8) throw new Error(`${file}: too short to be a safetensors file`);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (8 + headerLen > buf.length) throw new Error(`${file}: header length ${headerLen} runs past the end of the file`);
  let header: Record<string, { dtype: DType; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  } catch (err) {
    throw new Error(`${file}: invalid safetensors header: ${(err as Error).message}`);
  }
  const base = 8 + headerLen;
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as unknown as Record<string, string>;
      continue;
    }
    const width = BYTES[info.dtype];
    if (!width) throw new Error(`${file}: tensor ${name} has unsupported dtype ${info.dtype}`);
    const [begin, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * width || base + end > buf.length) throw new Error(`${file}: tensor ${name} has inconsistent offsets for shape [${info.shape}]`);
    const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset + base + begin, buf.byteOffset + base + end));
    const data =
      info.dtype === 'F32' ? new Float32Array(bytes.buffer)
      : info.dtype === 'F16' || info.dtype === 'BF16' ? new Uint16Array(bytes.buffer)
      : info.dtype === 'F64' ? new Float64Array(bytes.buffer)
      : info.dtype === 'I32' ? new Int32Array(bytes.buffer)
      : info.dtype === 'I64' ? new BigInt64Array(bytes.buffer)
      : info.dtype === 'I8' ? new Int8Array(bytes.buffer)
      : bytes;
    tensors.set(name, { dtype: info.dtype, shape: info.shape, data });
  }
  return { tensors, metadata };
}

/** IEEE 754 half precision → float32. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A floating-point tensor's values as float32 (F16, BF16 and F64 converted); null for an integer dtype. */
export function asFloat32(t: NamedTensor): Float32Array | null {
  switch (t.dtype) {
    case 'F32':
      return t.data as Float32Array;
    case 'F64':
      return Float32Array.from(t.data as Float64Array);
    case 'F16':
      return Float32Array.from(t.data as Uint16Array, halfToFloat);
    case 'BF16': {
      // bfloat16 is the upper half of a float32's bits
      const bits = new Uint32Array((t.data as Uint16Array).length);
      (t.data as Uint16Array).forEach((b, i) => (bits[i] = b << 16));
      return new Float32Array(bits.buffer);
    }
    default:
      return null;
  }
}
