/**
 * The wide n-gram table, compressed for the INT8 model. A table of 2^20 buckets × labels is most of a small model's
 * bytes, but most of its rows carry little: buckets no training n-gram hashed to are all zero, and most of the rest hold
 * n-grams seen once, with small weights. The compressed table keeps the `kept` rows with the largest |weight| (each
 * int8 with its own scale) behind a bucket → row map; every other bucket maps to row 0, all zeros. The map is uint16 while the rows fit (kept + 1 ≤ 65,536), int32 beyond. How many rows to keep is chosen on
 * valid (`chooseTableRows`).
 */
import * as tf from '@tensorflow/tfjs';
import { argmaxRows } from '@distill/core';
import { wideNgrams, type WideShape } from '@distill/model';
import type { GraphBuilder } from './onnx/graph';
import { DataType } from './onnx/onnx-proto';

export interface CompressedTable {
  buckets: number;
  labels: number;
  /** rows kept (row 0 of `rows`, the zero row, not counted) */
  kept: number;
  /** bucket → row of `rows` (0: dropped) */
  map: Uint16Array | Int32Array;
  /** (kept + 1) × labels, int8, row-major */
  rows: Int8Array;
  /** one scale per row of `rows` */
  scales: Float32Array;
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

/** The table with the first `keep` rows of `order` (default: by |weight|), each int8 with a symmetric per-row scale. */
export function compressTable(table: Float32Array, labels: number, keep: number, order = rankRows(rowImportance(table, labels))): CompressedTable {
  const buckets = table.length / labels;
  if (!Number.isInteger(buckets)) throw new Error(`table: ${table.length} values is not a whole number of rows of ${labels} labels`);
  const chosen = order.slice(0, Math.max(0, keep)).sort((a, b) => a - b);
  const kept = chosen.length;
  const map = kept + 1 <= 65536 ? new Uint16Array(buckets) : new Int32Array(buckets);
  const rows = new Int8Array((kept + 1) * labels);
  const scales = new Float32Array(kept + 1).fill(1);
  chosen.forEach((bucket, i) => {
    const r = i + 1;
    map[bucket] = r;
    let maxAbs = 0;
    for (let j = 0; j < labels; j++) maxAbs = Math.max(maxAbs, Math.abs(table[bucket * labels + j]));
    const scale = maxAbs > 0 ? maxAbs / 127 : 1;
    scales[r] = scale;
    for (let j = 0; j < labels; j++) rows[r * labels + j] = Math.max(-127, Math.min(127, Math.round(table[bucket * labels + j] / scale)));
  });
  return { buckets, labels, kept, map, rows, scales };
}

/** The compressed table's bytes in the ONNX file (map, int8 rows, scales). */
export function compressedTableBytes(c: CompressedTable): number {
  return c.map.byteLength + c.rows.byteLength + c.scales.byteLength;
}

/** The compressed table as the dense float table it stands for (buckets × labels). */
export function expandTable(c: CompressedTable): Float32Array {
  const out = new Float32Array(c.buckets * c.labels);
  for (let b = 0; b < c.buckets; b++) {
    const r = c.map[b];
    if (r === 0) continue;
    for (let j = 0; j < c.labels; j++) out[b * c.labels + j] = c.rows[r * c.labels + j] * c.scales[r];
  }
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
  bytes: number;
  valid_accuracy: number;
}

export interface TableChoice {
  /** the full table's valid accuracy (float32, with the encoder's logits) */
  full_valid_accuracy: number;
  used_rows: number;
  candidates: TableCandidate[];
  /** the smallest candidate within `maxDropPoints` of the full table on valid */
  chosen: TableCandidate;
}

/** Row counts to try: 2^k − 1 (a uint16 map's sizes, the zero row included) below the used rows, then all used rows. */
export function tableCandidates(used: number, smallest = 4095): number[] {
  const out: number[] = [];
  for (let n = smallest; n < used; n = 2 * n + 1) out.push(n);
  out.push(used);
  return out;
}

/**
 * How many rows to keep, chosen on valid (rows taken in `order`, most important first): the
 * model's logits with the full table are `encoderLogits` + the table's;
 * each candidate swaps in its compressed table (int8 rows included) and is scored on the valid labels. The smallest
 * candidate that loses at most `maxDropPoints` accuracy points wins; keeping every used row is the fallback.
 */
export function chooseTableRows(table: Float32Array, labels: number, ngrams: readonly TextNgrams[], encoderLogits: Float32Array, gold: readonly number[], maxDropPoints: number, order = rankRows(rowImportance(table, labels))): TableChoice {
  const used = order.length;
  const accuracy = (t: Float32Array) => {
    const tl = tableLogitsOf(ngrams, t, labels);
    for (let i = 0; i < tl.length; i++) tl[i] += encoderLogits[i];
    const pred = argmaxRows(tl, labels);
    let right = 0;
    pred.forEach((p, i) => (right += p === gold[i] ? 1 : 0));
    return gold.length ? right / gold.length : 0;
  };
  const full = accuracy(table);
  const candidates = tableCandidates(used).map((kept) => {
    const c = compressTable(table, labels, kept, order);
    return { kept, bytes: compressedTableBytes(c), valid_accuracy: accuracy(expandTable(c)) };
  });
  const chosen = candidates.find((c) => 100 * (full - c.valid_accuracy) <= maxDropPoints) ?? candidates[candidates.length - 1];
  return { full_valid_accuracy: full, used_rows: used, candidates, chosen };
}

/**
 * The ONNX ops of a compressed-table lookup: row = map[ngram id] (cast to int64), then int8 row × its scale, as
 * float [..., labels]. The result has the shape of a Gather from the dense table.
 */
export function emitCompressedLookup(g: GraphBuilder, ngramIds: string, name: string, c: CompressedTable): string {
  const mapType = c.map instanceof Uint16Array ? DataType.UINT16 : DataType.INT32;
  const map = g.initializer(`${name}_row_map`, mapType, [c.buckets], c.map);
  const row = g.op('Cast', [g.op('Gather', [map, ngramIds], { axis: 0 })], { to: DataType.INT64 }, `${name}_rows_of_ngrams`);
  const q = g.op('Gather', [g.initializer(`${name}_quantized`, DataType.INT8, [c.kept + 1, c.labels], c.rows), row], { axis: 0 });
  const scale = g.op('Gather', [g.float(`${name}_row_scale`, [c.kept + 1, 1], c.scales), row], { axis: 0 });
  return g.op('Mul', [g.op('Cast', [q], { to: DataType.FLOAT }), scale]);
}
