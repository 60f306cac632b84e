/**
 * Fitting the wide n-gram table in closed form, as multinomial naive Bayes over the model's own hashed n-grams
 * (`wideNgrams`: the same buckets the forward pass looks up). Each bucket's row is log P(bucket | label) with additive
 * smoothing `alpha` over the buckets the training rows use; buckets no training row uses stay 0, so unseen n-grams do
 * not vote. Every row is centred (its mean over labels subtracted), which changes no argmax: the table's pooled logits
 * move by one constant per text. Counting needs one pass over the data and no learning rate; the smoothing with the best
 * valid accuracy is kept, and the table is scaled to calibrate its probabilities on valid (`calibrationScale`).
 *
 * On TNEWS a small smoothing (≈0.3) makes rare n-grams, which are mostly near-duplicate titles, vote strongly; that is
 * where naive Bayes beats the logistic-regression fit (`fitWide`) of the same table.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, type Example, type Logger } from '@distill/core';
import { encodeAll, sequentialBatches } from './batching';
import { Encoder, WIDE_TABLE, wideNgrams, wideShape } from './encoder';
import { batchTensors } from './inference';
import type { FitWideData } from './wide';
import { logisticTable, type LogisticOptions } from './wide-logistic';

/** Every row's n-gram buckets as the model sees them: row r's are `ids[offsets[r]] .. ids[offsets[r + 1] - 1]`. */
export interface WideRows {
  offsets: Int32Array;
  ids: Int32Array;
}

/** The hashed n-grams of `texts`, tokenized and cut as the classifier does; n-grams touching padding left out. */
export function wideRows(encoder: Encoder, data: Pick<FitWideData, 'tokenizer'>, texts: readonly string[]): WideRows {
  const shape = wideShape(encoder.config);
  if (!shape) throw new Error('wide: this model has no wide part');
  const ids: number[] = [];
  const offsets = new Int32Array(texts.length + 1);
  for (const batch of sequentialBatches(encodeAll(data.tokenizer, texts, encoder.config.maxPositions), 256, data.tokenizer.padId)) {
    const [idRows, weightRows] = tf.tidy(() => {
      const t = batchTensors(batch);
      const f = wideNgrams(t.inputIds, t.attentionMask, shape);
      return [f.ids.arraySync(), f.weights.arraySync()];
    });
    batch.indices.forEach((row, r) => {
      for (let k = 0; k < idRows[r].length; k++) if (weightRows[r][k] > 0) ids.push(idRows[r][k]);
      offsets[row + 1] = ids.length;
    });
  }
  // rows arrive in order (sequential batches), so each offset is the running total
  return { offsets, ids: Int32Array.from(ids) };
}

/** `a`'s rows, then `b`'s. */
export function concatRows(a: WideRows, b: WideRows): WideRows {
  const offsets = new Int32Array(a.offsets.length + b.offsets.length - 1);
  offsets.set(a.offsets);
  const base = a.ids.length;
  for (let r = 1; r < b.offsets.length; r++) offsets[a.offsets.length - 1 + r] = base + b.offsets[r];
  const ids = new Int32Array(a.ids.length + b.ids.length);
  ids.set(a.ids);
  ids.set(b.ids, base);
  return { offsets, ids };
}

/** The rows at `indices`, in that order. */
export function subsetRows(rows: WideRows, indices: readonly number[]): WideRows {
  const offsets = new Int32Array(indices.length + 1);
  let total = 0;
  indices.forEach((r, i) => {
    total += rows.offsets[r + 1] - rows.offsets[r];
    offsets[i + 1] = total;
  });
  const ids = new Int32Array(total);
  indices.forEach((r, i) => ids.set(rows.ids.subarray(rows.offsets[r], rows.offsets[r + 1]), offsets[i]));
  return { offsets, ids };
}

/** Adds row r's n-grams to `counts` ([buckets × labels], row-major) under its label. */
function addCounts(counts: Float64Array, rows: WideRows, targets: Int32Array, labels: number): void {
  for (let r = 0; r < targets.length; r++) {
    for (let k = rows.offsets[r]; k < rows.offsets[r + 1]; k++) counts[rows.ids[k] * labels + targets[r]] += 1;
  }
}

/** Adds row r's n-grams to `counts` spread over the labels by `probs` ([rows × labels], each row summing to 1). */
function addSoftCounts(counts: Float64Array, rows: WideRows, probs: Float32Array, labels: number): void {
  const rowCount = rows.offsets.length - 1;
  for (let r = 0; r < rowCount; r++) {
    for (let k = rows.offsets[r]; k < rows.offsets[r + 1]; k++) {
      const base = rows.ids[k] * labels;
      for (let c = 0; c < labels; c++) counts[base + c] += probs[r * labels + c];
    }
  }
}

/** `hard` + `weight` × `soft`, elementwise. */
function mixCounts(hard: Float64Array, soft: Float64Array | null, weight: number): Float64Array {
  if (!soft || weight === 0) return hard;
  return hard.map((x, i) => x + weight * soft[i]);
}

/** The naive Bayes table of `counts` at smoothing `alpha`: centred log P(bucket | label), 0 for unused buckets. */
export function naiveBayesTable(counts: Float64Array, labels: number, alpha: number): Float32Array {
  if (!(alpha > 0)) throw new Error(`wide: naive Bayes smoothing must be > 0, got ${alpha}`);
  const buckets = counts.length / labels;
  const perLabel = new Float64Array(labels);
  let used = 0;
  for (let b = 0; b < buckets; b++) {
    let any = false;
    for (let c = 0; c < labels; c++) {
      perLabel[c] += counts[b * labels + c];
      if (counts[b * labels + c] > 0) any = true;
    }
    if (any) used++;
  }
  const logNorm = Array.from(perLabel, (n) => Math.log(n + alpha * used));
  const table = new Float32Array(counts.length);
  const row = new Float64Array(labels);
  for (let b = 0; b < buckets; b++) {
    let total = 0;
    for (let c = 0; c < labels; c++) total += counts[b * labels + c];
    if (total === 0) continue;
    let mean = 0;
    for (let c = 0; c < labels; c++) mean += (row[c] = Math.log(counts[b * labels + c] + alpha) - logNorm[c]) / labels;
    for (let c = 0; c < labels; c++) table[b * labels + c] = row[c] - mean;
  }
  return table;
}

/** Row r's pooled logits under `table` into `z`: the rows' sum divided by the n-gram count (mean) or its root (sqrt). */
function pooledLogits(rows: WideRows, r: number, table: Float32Array, labels: number, pooling: 'mean' | 'sqrt', z: Float64Array): void {
  z.fill(0);
  const count = rows.offsets[r + 1] - rows.offsets[r];
  if (!count) return;
  for (let k = rows.offsets[r]; k < rows.offsets[r + 1]; k++) {
    const base = rows.ids[k] * labels;
    for (let c = 0; c < labels; c++) z[c] += table[base + c];
  }
  const divisor = pooling === 'sqrt' ? Math.sqrt(count) : count;
  for (let c = 0; c < labels; c++) z[c] /= divisor;
}

/** Mean cross-entropy of the pooled logits × `scale` against `targets`. */
function scaledLoss(rows: WideRows, targets: Int32Array, table: Float32Array, labels: number, pooling: 'mean' | 'sqrt', scale: number): number {
  const z = new Float64Array(labels);
  let loss = 0;
  for (let r = 0; r < targets.length; r++) {
    pooledLogits(rows, r, table, labels, pooling, z);
    let max = -Infinity;
    for (let c = 0; c < labels; c++) max = Math.max(max, scale * z[c]);
    let sum = 0;
    for (let c = 0; c < labels; c++) sum += Math.exp(scale * z[c] - max);
    loss += max + Math.log(sum) - scale * z[targets[r]];
  }
  return loss / targets.length;
}

/**
 * The factor on the table that makes its pooled logits best calibrated on valid (least cross-entropy, on a grid of
 * 2^(k/4), ¼ … 16): naive Bayes is over- or under-confident, and the encoder that trains beside the table, and the
 * students distilled from both, learn from the sum's probabilities. The argmax does not change.
 */
export function calibrationScale(rows: WideRows, targets: Int32Array, table: Float32Array, labels: number, pooling: 'mean' | 'sqrt'): number {
  let best = { scale: 1, loss: Infinity };
  for (let k = -8; k <= 16; k++) {
    const scale = 2 ** (k / 4);
    const loss = scaledLoss(rows, targets, table, labels, pooling, scale);
    if (loss < best.loss) best = { scale, loss };
  }
  return best.scale;
}

/** Accuracy of the argmax of the summed table rows (the mean-pooled logits up to a positive factor per text). */
export function wideTableAccuracy(rows: WideRows, targets: Int32Array, table: Float32Array, labels: number): number {
  const z = new Float64Array(labels);
  let right = 0;
  for (let r = 0; r < targets.length; r++) {
    z.fill(0);
    for (let k = rows.offsets[r]; k < rows.offsets[r + 1]; k++) {
      const base = rows.ids[k] * labels;
      for (let c = 0; c < labels; c++) z[c] += table[base + c];
    }
    let best = 0;
    for (let c = 1; c < labels; c++) if (z[c] > z[best]) best = c;
    if (best === targets[r]) right++;
  }
  return targets.length ? right / targets.length : 0;
}

function targetsOf(rows: readonly Example[], split: string): Int32Array {
  return Int32Array.from(rows, (r, i) => {
    if (!Number.isInteger(r.label) || r.label < 0) throw new Error(`wide: ${split} row ${i} (id ${r.id}) has no single label; the naive Bayes fit needs one per row`);
    return r.label;
  });
}

export interface NaiveBayesFitOptions {
  /** smoothings to try; the one with the best valid accuracy is kept */
  alphas: readonly number[];
  /** add a TF-IDF logistic-regression table (wide-logistic.ts); naive Bayes's weight against it is chosen on valid */
  logistic?: LogisticOptions;
  /**
   * K-fold cross-fitting (stacking): with K ≥ 2, each training row also gets the table's pooled logits from a table
   * fitted without its fold (same smoothing, mix weight and scale), returned as `out_of_fold`. An encoder trained beside
   * those sees what the table does on unseen text rather than on rows it has memorized.
   */
  crossFit?: { folds: number; seed: number };
  /**
   * Rows without a gold label, counted softly: each row's n-grams go to every label in proportion to `probs` (a
   * teacher's probabilities, [rows × labels]), the whole set at each of `weights` against the gold rows' counts; the
   * (smoothing, weight) pair with the best valid accuracy is kept. This is naive Bayes's closed form of learning from
   * a teacher's soft labels (data distillation), and the M step of EM when the teacher is the table itself.
   */
  soft?: { texts: readonly string[]; probs: Float32Array; weights: readonly number[] };
}

/** naive Bayes weights tried against the logistic-regression table */
export const NAIVE_BAYES_WEIGHTS = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128] as const;

export interface NaiveBayesFitResult {
  alpha: number;
  valid_accuracy: number;
  /** the factor on the log-probabilities that calibrates the table's pooled logits on valid */
  scale: number;
  /** with `soft`: the weight of the softly counted rows against the gold rows */
  soft_weight?: number;
  /** valid accuracy per smoothing (and, with `soft`, weight) tried */
  tried: { alpha: number; soft_weight?: number; valid_accuracy: number }[];
  /** with `logistic`: naive Bayes's weight against the regression, the valid accuracy of the sum, L-BFGS iterations */
  logistic?: { naive_bayes_weight: number; valid_accuracy: number; iterations: number };
  used_buckets: number;
  seconds: number;
  /** with `crossFit`: [train rows × labels] pooled logits, each row's from the table fitted without its fold */
  out_of_fold?: Float32Array;
  /** with `crossFit`: the out-of-fold accuracy on the training rows */
  out_of_fold_accuracy?: number;
}

/** The regression part of a fit for a log line (`, + logistic regression at …`, empty without one) and a manifest
 * summary (`wide_fit_logistic_*`, empty without one), as the teacher's and the student's table fits report it. */
export function logisticReport(r: Pick<NaiveBayesFitResult, 'logistic'>): { text: string; summary: { wide_fit_logistic_weight?: number; wide_fit_logistic_valid_accuracy?: number } } {
  if (!r.logistic) return { text: '', summary: {} };
  return {
    text: `, + logistic regression at naive Bayes weight ${r.logistic.naive_bayes_weight} (valid accuracy ${(100 * r.logistic.valid_accuracy).toFixed(2)})`,
    summary: { wide_fit_logistic_weight: r.logistic.naive_bayes_weight, wide_fit_logistic_valid_accuracy: r.logistic.valid_accuracy },
  };
}

/** Row r's fold: a seeded shuffle dealt round-robin into `folds` parts of equal size (±1). */
export function foldOf(rows: number, folds: number, seed: number): Int32Array {
  const order = Array.from({ length: rows }, (_, i) => i);
  new Rng(seed).shuffle(order);
  const fold = new Int32Array(rows);
  order.forEach((r, i) => (fold[r] = i % folds));
  return fold;
}

/** Fits `encoder`'s wide table alone (every other parameter untouched) as naive Bayes; the table is replaced. */
export function fitWideNaiveBayes(encoder: Encoder, data: FitWideData, o: NaiveBayesFitOptions, log: Logger): NaiveBayesFitResult {
  const start = Date.now();
  if (!o.alphas.length) throw new Error('wide: the naive Bayes fit needs at least one smoothing (alpha)');
  const variable = encoder.params.get(WIDE_TABLE);
  if (!variable) throw new Error('wide: this model has no wide part');
  if (!data.valid.length) throw new Error('wide: the naive Bayes fit chooses its smoothing on valid rows, and there are none');
  const labels = encoder.config.numLabels;
  const train = wideRows(encoder, data, data.train.map((r) => r.text));
  const valid = wideRows(encoder, data, data.valid.map((r) => r.text));
  const trainTargets = targetsOf(data.train, 'train');
  const validTargets = targetsOf(data.valid, 'valid');
  const counts = new Float64Array(variable.size);
  addCounts(counts, train, trainTargets, labels);
  let softCounts: Float64Array | null = null;
  if (o.soft) {
    if (!o.soft.weights.length) throw new Error('wide: the soft counts need at least one weight');
    if (o.soft.probs.length !== o.soft.texts.length * labels) throw new Error(`wide: soft counts: ${o.soft.probs.length} probabilities for ${o.soft.texts.length} rows × ${labels} labels`);
    softCounts = new Float64Array(variable.size);
    addSoftCounts(softCounts, wideRows(encoder, data, o.soft.texts), o.soft.probs, labels);
  }
  const weights = softCounts ? o.soft!.weights : [0];
  // the counts at each weight, mixed once for every smoothing and kept for the table fitted at the chosen pair
  const mixed = weights.map((weight) => mixCounts(counts, softCounts, weight));
  const tried = o.alphas.flatMap((alpha) =>
    weights.map((weight, w) => {
      const accuracy = wideTableAccuracy(valid, validTargets, naiveBayesTable(mixed[w], labels, alpha), labels);
      log.info(`wide naive Bayes: alpha ${alpha}${softCounts ? `, soft rows at weight ${weight}` : ''}, valid accuracy ${(100 * accuracy).toFixed(2)}`);
      return { alpha, ...(softCounts ? { soft_weight: weight } : {}), valid_accuracy: accuracy };
    }),
  );
  const best = tried.reduce((a, b) => (b.valid_accuracy > a.valid_accuracy ? b : a));
  const softWeight = best.soft_weight ?? 0;
  const counted = mixed[weights.indexOf(softWeight)];
  const buckets = counts.length / labels;
  const combine = (lr: Float32Array, nb: Float32Array, weight: number) => lr.map((x, i) => x + weight * nb[i]);
  let table = naiveBayesTable(counted, labels, best.alpha);
  let logistic: NaiveBayesFitResult['logistic'];
  if (o.logistic) {
    const lr = logisticTable(train, trainTargets, buckets, labels, o.logistic);
    const alone = wideTableAccuracy(valid, validTargets, lr.table, labels);
    log.info(`wide logistic regression: c ${o.logistic.c}, ${lr.iterations} L-BFGS iterations, loss ${lr.loss.toFixed(4)}, valid accuracy alone ${(100 * alone).toFixed(2)}`);
    const nb = table;
    const weighed = NAIVE_BAYES_WEIGHTS.map((weight) => ({ weight, accuracy: wideTableAccuracy(valid, validTargets, combine(lr.table, nb, weight), labels) }));
    const pick = weighed.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    log.info(`wide naive Bayes + logistic regression: ${weighed.map((w) => `weight ${w.weight}: ${(100 * w.accuracy).toFixed(2)}`).join(', ')}`);
    logistic = { naive_bayes_weight: pick.weight, valid_accuracy: pick.accuracy, iterations: lr.iterations };
    table = combine(lr.table, nb, pick.weight);
  }
  const pooling = wideShape(encoder.config)!.pooling;
  const scale = calibrationScale(valid, validTargets, table, labels, pooling);
  // the table the choices above describe, fitted on other gold rows: naive Bayes at the chosen smoothing (with the soft
  // rows at the chosen weight), plus the regression at the chosen weight
  const refit = (rows: WideRows, targets: Int32Array): Float32Array => {
    const c = new Float64Array(variable.size);
    addCounts(c, rows, targets, labels);
    const nb = naiveBayesTable(mixCounts(c, softCounts, softWeight), labels, best.alpha);
    if (!o.logistic || !logistic) return nb;
    return combine(logisticTable(rows, targets, buckets, labels, o.logistic).table, nb, logistic.naive_bayes_weight);
  };
  let outOfFold: Float32Array | undefined;
  let outOfFoldAccuracy: number | undefined;
  if (o.crossFit && o.crossFit.folds >= 2) {
    const K = o.crossFit.folds;
    if (data.train.length < K) throw new Error(`wide: cross_fit ${K} needs at least ${K} training rows, got ${data.train.length}`);
    const fold = foldOf(data.train.length, K, o.crossFit.seed);
    outOfFold = new Float32Array(data.train.length * labels);
    const z = new Float64Array(labels);
    let right = 0;
    for (let k = 0; k < K; k++) {
      const inFold: number[] = [];
      const rest: number[] = [];
      fold.forEach((f, r) => (f === k ? inFold : rest).push(r));
      const foldTable = refit(subsetRows(train, rest), Int32Array.from(rest, (r) => trainTargets[r]));
      const held = subsetRows(train, inFold);
      inFold.forEach((r, i) => {
        pooledLogits(held, i, foldTable, labels, pooling, z);
        let arg = 0;
        for (let c = 0; c < labels; c++) {
          outOfFold![r * labels + c] = scale * z[c];
          if (z[c] > z[arg]) arg = c;
        }
        if (arg === trainTargets[r]) right++;
      });
      log.info(`wide cross-fit: fold ${k + 1}/${K} (${inFold.length} rows held out) done`);
    }
    outOfFoldAccuracy = right / data.train.length;
    log.info(`wide cross-fit: ${K} folds, out-of-fold training accuracy ${(100 * outOfFoldAccuracy).toFixed(2)}`);
  }
  table = table.map((x) => x * scale);
  let used = 0;
  for (let b = 0; b < buckets; b++) if (counted.subarray(b * labels, (b + 1) * labels).some((x) => x > 0)) used++;
  const fitted = tf.tensor2d(table, variable.shape as [number, number]);
  variable.assign(fitted);
  fitted.dispose();
  log.info(`wide naive Bayes: alpha ${best.alpha}${softCounts ? `, soft rows at weight ${softWeight}` : ''}, table scaled by ${scale.toFixed(3)} (least valid cross-entropy)`);
  return { alpha: best.alpha, ...(softCounts ? { soft_weight: softWeight } : {}), valid_accuracy: best.valid_accuracy, scale, tried, ...(logistic ? { logistic } : {}), used_buckets: used, seconds: (Date.now() - start) / 1000, ...(outOfFold ? { out_of_fold: outOfFold, out_of_fold_accuracy: outOfFoldAccuracy } : {}) };
}
