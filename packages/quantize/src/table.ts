/**
 * The wide n-gram table, compressed for the INT8 model. A table of 2^20 buckets × labels is most of a small model's
 * bytes, but most of its rows carry little: buckets no training n-gram hashed to are all zero, and most of the rest hold
 * n-grams seen once, with small weights. The compressed table keeps the `kept` rows with the largest |weight|, each
 * quantized to 8 or 4 bits with its own float16 scale, behind a bucket → row map; every other bucket maps to a zero
 * row. The map is uint16: the buckets fall in blocks of `MAP_BLOCK`, each block's rows numbered from its own zero row,
 * and a bucket's row is `blockStart[bucket / MAP_BLOCK] + map[bucket]`. How many rows to keep, and at which width, is
 * chosen on valid (`chooseTableRows`).
 */
import * as tf from '@tensorflow/tfjs';
import { argmaxRows } from '@distill/core';
import { wideNgrams, type WideShape } from '@distill/model';
import type { GraphBuilder } from './onnx/graph';
import { DataType } from './onnx/onnx-proto';

/** buckets per block of the row map: a block holds at most MAP_BLOCK rows and its zero row, so uint16 ids fit */
export const MAP_BLOCK = 32768;

export type TableBits = 8 | 4;

export interface CompressedTable {
  buckets: number;
  labels: number;
  /** rows kept (the blocks' zero rows not counted) */
  kept: number;
  bits: TableBits;
  /** bucket → row within its block (0: the block's zero row) */
  map: Uint16Array;
  /** each block's first row (its zero row) in `rows` */
  blockStart: Int32Array;
  /**
   * the rows, row-major: 8 bits, `labels` int8 values a row; 4 bits, `packedWidth(labels)` bytes a row, value j in
   * the low nibble of byte j and value j + width in the high nibble, each stored as q + 8 (q in −7..7)
   */
  rows: Int8Array | Uint8Array;
  /** one scale per row of `rows`, float16 bits */
  scales: Uint16Array;
}

/** bytes a 4-bit row takes: two values a byte */
export const packedWidth = (labels: number) => Math.ceil(labels / 2);

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** float32 → float16 bits, rounded to nearest even (normal and subnormal halves; overflow to ±Inf) */
export function toFloat16(x: number): number {
  F32[0] = x;
  const bits = U32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let out = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++;
  return sign | out;
}

/** float16 bits → number */
export function fromFloat16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * A row's importance: its largest |weight|. (Weighting it by how often training n-grams reach the row kept no fewer
 * rows at the same valid accuracy on TNEWS: docs/experiments.md.)
 */
export function rowImportance(table: Float32Array, labels: number): Float32Array {
  const out = new Float32Array(table.length / labels);
  for (let r = 0; r < out.length; r++) {
    let m = 0;
    for (let j = 0; j < labels; j++) m = Math.max(m, Math.abs(table[r * labels + j]));
    out[r] = m;
  }
  return out;
}

/** The non-zero rows, most important first (ties: lower bucket first). */
export function rankRows(importance: Float32Array): number[] {
  return Array.from({ length: importance.length }, (_, i) => i)
    .filter((i) => importance[i] > 0)
    .sort((a, b) => importance[b] - importance[a] || a - b);
}

const levels = (bits: TableBits) => (bits === 8 ? 127 : 7);

/**
 * A row's scale (float16) and quantized values. 8 bits: the scale maps the largest |weight| to 127. 4 bits, where the
 * rounding error is large: the scale with the least squared error among clipping ratios 1, 0.95, …, 0.5 of the largest
 * |weight| (clipping a lone large weight buys finer steps for the rest).
 */
export function quantizeRow(w: ArrayLike<number>, bits: TableBits): { scale: number; q: Int8Array } {
  const n = levels(bits);
  let maxAbs = 0;
  for (let j = 0; j < w.length; j++) maxAbs = Math.max(maxAbs, Math.abs(w[j]));
  const q = new Int8Array(w.length);
  if (maxAbs === 0) return { scale: 1, q };
  const quant = (scale: number, out: Int8Array) => {
    let err = 0;
    for (let j = 0; j < w.length; j++) {
      out[j] = Math.max(-n, Math.min(n, Math.round(w[j] / scale)));
      err += (w[j] - out[j] * scale) ** 2;
    }
    return err;
  };
  const ratios = bits === 8 ? [1] : [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5];
  let best = { scale: 1, err: Infinity };
  const tmp = new Int8Array(w.length);
  for (const r of ratios) {
    const scale = fromFloat16(toFloat16((r * maxAbs) / n));
    if (!(scale > 0)) continue;
    const err = quant(scale, tmp);
    if (err < best.err) best = { scale, err };
  }
  quant(best.scale, q);
  return { scale: best.scale, q };
}

/** The table with the first `keep` rows of `order` (default: by |weight|), each `bits` wide with a float16 scale. */
export function compressTable(table: Float32Array, labels: number, keep: number, order = rankRows(rowImportance(table, labels)), bits: TableBits = 8): CompressedTable {
  const buckets = table.length / labels;
  if (!Number.isInteger(buckets)) throw new Error(`table: ${table.length} values is not a whole number of rows of ${labels} labels`);
  const chosen = order.slice(0, Math.max(0, keep)).sort((a, b) => a - b);
  const kept = chosen.length;
  const blocks = Math.ceil(buckets / MAP_BLOCK);
  const total = kept + blocks;
  const width = bits === 8 ? labels : packedWidth(labels);
  const map = new Uint16Array(buckets);
  const blockStart = new Int32Array(blocks);
  const rows = bits === 8 ? new Int8Array(total * width) : new Uint8Array(total * width).fill(0x88);
  const scales = new Uint16Array(total).fill(toFloat16(1));
  let r = 0;
  let i = 0;
  for (let b = 0; b < blocks; b++) {
    blockStart[b] = r++; // the block's zero row
    for (let local = 1; i < kept && chosen[i] < (b + 1) * MAP_BLOCK; i++, local++, r++) {
      const bucket = chosen[i];
      map[bucket] = local;
      const { scale, q } = quantizeRow(table.subarray(bucket * labels, (bucket + 1) * labels), bits);
      scales[r] = toFloat16(scale);
      if (bits === 8) rows.set(q, r * width);
      else for (let j = 0; j < width; j++) rows[r * width + j] = (q[j] + 8) | ((j + width < labels ? q[j + width] + 8 : 8) << 4);
    }
  }
  return { buckets, labels, kept, bits, map, blockStart, rows, scales };
}

/** The bytes in the ONNX file of a table of `kept` rows `bits` wide: uint16 map, int64 block starts, rows, float16 scales. */
export function tableBytes(buckets: number, labels: number, kept: number, bits: TableBits): number {
  const blocks = Math.ceil(buckets / MAP_BLOCK);
  const total = kept + blocks;
  return 2 * buckets + 8 * blocks + total * (bits === 8 ? labels : packedWidth(labels)) + 2 * total;
}

/** The compressed table's bytes in the ONNX file (map, block starts, rows, scales). */
export function compressedTableBytes(c: CompressedTable): number {
  return tableBytes(c.buckets, c.labels, c.kept, c.bits);
}

/** The row of `bucket` in `c.rows`. */
export const rowOf = (c: CompressedTable, bucket: number) => c.blockStart[Math.floor(bucket / MAP_BLOCK)] + c.map[bucket];

/** Row `r`'s values as the model uses them (quantized value × scale). */
function decodeRow(c: CompressedTable, r: number, out: Float32Array, at: number) {
  const scale = fromFloat16(c.scales[r]);
  if (c.bits === 8) {
    for (let j = 0; j < c.labels; j++) out[at + j] = c.rows[r * c.labels + j] * scale;
    return;
  }
  const width = packedWidth(c.labels);
  for (let j = 0; j < c.labels; j++) {
    const byte = c.rows[r * width + (j % width)];
    out[at + j] = ((j < width ? byte & 15 : byte >> 4) - 8) * scale;
  }
}

/** The compressed table as the dense float table it stands for (buckets × labels). */
export function expandTable(c: CompressedTable): Float32Array {
  const out = new Float32Array(c.buckets * c.labels);
  for (let b = 0; b < c.buckets; b++) if (c.map[b] !== 0) decodeRow(c, rowOf(c, b), out, b * c.labels);
  return out;
}

/** A text's hashed n-grams and their pooling weights (model/encoder.ts `wideNgrams`, padding dropped). */
export interface TextNgrams {
  ids: Int32Array;
  weights: Float32Array;
}

/** The hashed n-grams of each text's token ids, computed by the model's own `wideNgrams` (`batch` texts at a time). */
export function textNgrams(encoded: readonly (readonly number[])[], wide: WideShape, batch = 256): TextNgrams[] {
  const out: TextNgrams[] = [];
  for (let start = 0; start < encoded.length; start += batch) {
    const chunk = encoded.slice(start, start + batch);
    const seq = Math.max(1, ...chunk.map((ids) => ids.length));
    const ids = new Int32Array(chunk.length * seq);
    const mask = new Int32Array(chunk.length * seq);
    chunk.forEach((row, r) => row.forEach((id, t) => ((ids[r * seq + t] = id), (mask[r * seq + t] = 1))));
    const [allIds, allWeights, width] = tf.tidy(() => {
      const r = wideNgrams(tf.tensor2d(ids, [chunk.length, seq], 'int32'), tf.tensor2d(mask, [chunk.length, seq], 'int32'), wide);
      return [r.ids.dataSync() as Int32Array, r.weights.dataSync() as Float32Array, r.ids.shape[1]] as const;
    });
    // padding's n-grams have weight 0: each text keeps its own
    chunk.forEach((_, r) => {
      const keep: number[] = [];
      for (let k = 0; k < width; k++) if (allWeights[r * width + k] > 0) keep.push(k);
      out.push({ ids: Int32Array.from(keep, (k) => allIds[r * width + k]), weights: Float32Array.from(keep, (k) => allWeights[r * width + k]) });
    });
  }
  return out;
}

/** Σₖ weightₖ · table[idₖ] for every text: the table head's logits, [texts × labels]. */
export function tableLogitsOf(ngrams: readonly TextNgrams[], table: Float32Array, labels: number): Float32Array {
  const out = new Float32Array(ngrams.length * labels);
  ngrams.forEach(({ ids, weights }, t) => {
    for (let k = 0; k < ids.length; k++) {
      const w = weights[k];
      const base = ids[k] * labels;
      for (let j = 0; j < labels; j++) out[t * labels + j] += w * table[base + j];
    }
  });
  return out;
}

export interface TableCandidate {
  kept: number;
  bits: TableBits;
  bytes: number;
  valid_accuracy: number;
}

export interface TableChoice {
  /** the full table's valid accuracy (float32, with the encoder's logits) */
  full_valid_accuracy: number;
  used_rows: number;
  candidates: TableCandidate[];
  /** the smallest candidate (in bytes) within `maxDropPoints` of the full table on valid */
  chosen: TableCandidate;
}

/** Row counts to try: 2^k − 1 below the used rows, then all used rows. */
export function tableCandidates(used: number, smallest = 4095): number[] {
  const out: number[] = [];
  for (let n = smallest; n < used; n = 2 * n + 1) out.push(n);
  out.push(used);
  return out;
}

/**
 * How many rows to keep and at which width, chosen on valid (rows taken in `order`, most important first): the
 * model's logits with the full table are `encoderLogits` + the table's; each candidate (`rows` × `bits`) swaps in its
 * compressed table and is scored on the valid labels. The smallest candidate in bytes that loses at most
 * `maxDropPoints` accuracy points wins; the largest is the fallback.
 */
export function chooseTableRows(table: Float32Array, labels: number, ngrams: readonly TextNgrams[], encoderLogits: Float32Array, gold: readonly number[], maxDropPoints: number, order = rankRows(rowImportance(table, labels)), rows = tableCandidates(order.length), bits: readonly TableBits[] = [8]): TableChoice {
  const accuracy = (t: Float32Array) => {
    const tl = tableLogitsOf(ngrams, t, labels);
    for (let i = 0; i < tl.length; i++) tl[i] += encoderLogits[i];
    const pred = argmaxRows(tl, labels);
    let right = 0;
    pred.forEach((p, i) => (right += p === gold[i] ? 1 : 0));
    return gold.length ? right / gold.length : 0;
  };
  const full = accuracy(table);
  const buckets = table.length / labels;
  // a row quantizes the same whatever else is kept: each width quantizes every used row once, and a candidate is that
  // table with the rows past its count zeroed
  const candidates = bits.flatMap((b) => {
    const quantized = expandTable(compressTable(table, labels, order.length, order, b));
    return rows.map((n) => {
      const kept = Math.min(n, order.length);
      const t = quantized.slice();
      for (const r of order.slice(kept)) t.fill(0, r * labels, (r + 1) * labels);
      return { kept, bits: b, bytes: tableBytes(buckets, labels, kept, b), valid_accuracy: accuracy(t) };
    });
  });
  const bySize = [...candidates].sort((a, b) => a.bytes - b.bytes);
  const chosen = bySize.find((c) => 100 * (full - c.valid_accuracy) <= maxDropPoints) ?? bySize[bySize.length - 1];
  return { full_valid_accuracy: full, used_rows: order.length, candidates, chosen };
}

/**
 * The ONNX ops of a compressed-table lookup: row = blockStart[id / MAP_BLOCK] + map[id] (int64), then the row's
 * values (4 bits: each byte's low and high nibble, minus 8) × its scale, as float [..., labels]. The result has the
 * shape of a Gather from the dense table.
 */
export function emitCompressedLookup(g: GraphBuilder, ngramIds: string, name: string, c: CompressedTable): string {
  const map = g.initializer(`${name}_row_map`, DataType.UINT16, [c.buckets], c.map);
  const block = g.op('Div', [ngramIds, g.initializer(`${name}_map_block`, DataType.INT64, [], BigInt64Array.of(BigInt(MAP_BLOCK)))]);
  const start = g.op('Gather', [g.initializer(`${name}_block_start`, DataType.INT64, [c.blockStart.length], BigInt64Array.from(c.blockStart, BigInt)), block], { axis: 0 });
  const local = g.op('Cast', [g.op('Gather', [map, ngramIds], { axis: 0 })], { to: DataType.INT64 });
  const row = g.op('Add', [start, local], {}, `${name}_rows_of_ngrams`);
  const total = c.scales.length;
  const scale = g.op('Cast', [g.op('Gather', [g.initializer(`${name}_row_scale`, DataType.FLOAT16, [total, 1], c.scales), row], { axis: 0 })], { to: DataType.FLOAT });
  let values: string;
  if (c.bits === 8) {
    values = g.op('Cast', [g.op('Gather', [g.initializer(`${name}_quantized`, DataType.INT8, [total, c.labels], c.rows), row], { axis: 0 })], { to: DataType.FLOAT });
  } else {
    const width = packedWidth(c.labels);
    const bytes = g.op('Cast', [g.op('Gather', [g.initializer(`${name}_quantized_4bit`, DataType.UINT8, [total, width], c.rows), row], { axis: 0 })], { to: DataType.INT32 });
    const sixteen = g.initializer(`${name}_nibble`, DataType.INT32, [], Int32Array.of(16));
    const high = g.op('Div', [bytes, sixteen]);
    const low = g.op('Sub', [bytes, g.op('Mul', [high, sixteen])]);
    let both = g.op('Concat', [low, high], { axis: -1 });
    if (2 * width !== c.labels) both = g.op('Slice', [both, g.int64(`${name}_from`, [0]), g.int64(`${name}_to`, [c.labels]), g.int64(`${name}_axis`, [-1])]);
    values = g.op('Cast', [g.op('Sub', [both, g.initializer(`${name}_nibble_zero`, DataType.INT32, [], Int32Array.of(8))])], { to: DataType.FLOAT });
  }
  return g.op('Mul', [values, scale]);
}
