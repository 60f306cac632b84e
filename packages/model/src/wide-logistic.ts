/**
 * The wide table as TF-IDF logistic regression: each text's hashed n-grams (`wideRows`) weighted tf × idf and
 * L2-normalized, a multinomial logistic regression on them (mean cross-entropy + ½·λ·‖W‖², λ = 1 / (c · rows), the
 * scikit-learn convention for `c`) fitted full-batch by L-BFGS (lbfgs.ts), then folded into the model's mean-pooled
 * table as idf ⊙ W: per text that is the regression's logits times a positive factor, so the argmax is the same.
 * The naive Bayes fit (wide-naive-bayes.ts) adds it to its own table, weighted on valid.
 */
import { minimizeLbfgs, type Objective } from './lbfgs';
import type { WideRows } from './wide-naive-bayes';

/** idf per bucket over `rows` (one document each): ln((1 + rows) / (1 + df)) + 1, as scikit-learn's smooth idf. */
export function inverseDocumentFrequency(rows: WideRows, buckets: number): Float64Array {
  const df = new Float64Array(buckets);
  const last = new Int32Array(buckets).fill(-1);
  const n = rows.offsets.length - 1;
  for (let r = 0; r < n; r++) {
    for (let k = rows.offsets[r]; k < rows.offsets[r + 1]; k++) {
      const b = rows.ids[k];
      if (last[b] !== r) {
        last[b] = r;
        df[b]++;
      }
    }
  }
  return df.map((d) => Math.log((1 + n) / (1 + d)) + 1);
}

/** Sparse TF-IDF rows over compact column ids (`column[bucket]`, −1 for buckets left out), L2-normalized. */
export interface SparseRows {
  offsets: Int32Array;
  cols: Int32Array;
  values: Float64Array;
}

export function tfidfRows(rows: WideRows, idf: Float64Array, column: Int32Array): SparseRows {
  const n = rows.offsets.length - 1;
  const offsets = new Int32Array(n + 1);
  const cols: number[] = [];
  const values: number[] = [];
  const tf = new Map<number, number>();
  for (let r = 0; r < n; r++) {
    tf.clear();
    for (let k = rows.offsets[r]; k < rows.offsets[r + 1]; k++) {
      const b = rows.ids[k];
      if (column[b] >= 0) tf.set(b, (tf.get(b) ?? 0) + 1);
    }
    let norm = 0;
    for (const [b, count] of tf) norm += (count * idf[b]) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (const [b, count] of tf) {
      cols.push(column[b]);
      values.push((count * idf[b]) / norm);
    }
    offsets[r + 1] = cols.length;
  }
  return { offsets, cols: Int32Array.from(cols), values: Float64Array.from(values) };
}

export interface LogisticOptions {
  /** inverse regularization strength (scikit-learn's C): λ = 1 / (c · rows) */
  c: number;
  /** L-BFGS iterations */
  iterations: number;
}

/** Mean softmax cross-entropy of x·W against `targets` plus ½·λ·‖W‖², and its gradient (W [columns × labels]). */
export function logisticObjective(x: SparseRows, targets: Int32Array, labels: number, lambda: number): Objective {
  const n = targets.length;
  const z = new Float64Array(labels);
  return (w, grad) => {
    let loss = 0;
    for (let i = 0; i < w.length; i++) {
      grad[i] = lambda * w[i];
      loss += 0.5 * lambda * w[i] * w[i];
    }
    for (let r = 0; r < n; r++) {
      z.fill(0);
      for (let k = x.offsets[r]; k < x.offsets[r + 1]; k++) {
        const base = x.cols[k] * labels;
        const v = x.values[k];
        for (let c = 0; c < labels; c++) z[c] += v * w[base + c];
      }
      let max = -Infinity;
      for (let c = 0; c < labels; c++) max = Math.max(max, z[c]);
      let sum = 0;
      for (let c = 0; c < labels; c++) sum += Math.exp(z[c] - max);
      loss += (max + Math.log(sum) - z[targets[r]]) / n;
      for (let c = 0; c < labels; c++) z[c] = (Math.exp(z[c] - max) / sum - (c === targets[r] ? 1 : 0)) / n; // dLoss/dz
      for (let k = x.offsets[r]; k < x.offsets[r + 1]; k++) {
        const base = x.cols[k] * labels;
        const v = x.values[k];
        for (let c = 0; c < labels; c++) grad[base + c] += v * z[c];
      }
    }
    return loss;
  };
}

/** Multinomial logistic regression without intercept, from zero: W [columns × labels], row-major. */
export function fitLogistic(x: SparseRows, targets: Int32Array, columns: number, labels: number, o: LogisticOptions): { weights: Float64Array; iterations: number; loss: number } {
  if (!targets.length) throw new Error('wide: logistic regression needs training rows');
  if (!(o.c > 0) || !Number.isInteger(o.iterations) || o.iterations < 1) throw new Error(`wide: logistic regression needs c > 0 and iterations ≥ 1, got c ${o.c}, iterations ${o.iterations}`);
  const objective = logisticObjective(x, targets, labels, 1 / (o.c * targets.length));
  const result = minimizeLbfgs(objective, new Float64Array(columns * labels), { iterations: o.iterations, memory: 5 });
  return { weights: result.x, iterations: result.iterations, loss: result.value };
}

/**
 * Fits the regression on `rows` (the buckets they use; idf from them too) and returns it folded into a full table
 * ([buckets × labels]): idf ⊙ W, 0 for buckets the rows do not use.
 */
export function logisticTable(rows: WideRows, targets: Int32Array, buckets: number, labels: number, o: LogisticOptions): { table: Float32Array; iterations: number; loss: number } {
  const idf = inverseDocumentFrequency(rows, buckets);
  const column = new Int32Array(buckets).fill(-1);
  let columns = 0;
  for (let k = 0; k < rows.ids.length; k++) if (column[rows.ids[k]] < 0) column[rows.ids[k]] = columns++;
  const fit = fitLogistic(tfidfRows(rows, idf, column), targets, columns, labels, o);
  const table = new Float32Array(buckets * labels);
  for (let b = 0; b < buckets; b++) {
    if (column[b] < 0) continue;
    for (let c = 0; c < labels; c++) table[b * labels + c] = idf[b] * fit.weights[column[b] * labels + c];
  }
  return { table, iterations: fit.iterations, loss: fit.loss };
}
