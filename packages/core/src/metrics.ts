/** Classification metrics over label indices: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix. */
import { Rng } from './rng';
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  macro_f1: number;
  n: number;
  per_class: ClassMetrics[];
  /** confusion[gold][predicted] */
  confusion: number[][];
}

export function argmaxRows(values: Float32Array, width: number): Int32Array {
  const rows = values.length / width;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (values[r * width + c] > values[r * width + best]) best = c;
    out[r] = best;
  }
  return out;
}

export function classificationMetrics(gold: ArrayLike<number>, predicted: ArrayLike<number>, labels: readonly string[]): ClassificationMetrics {
  if (gold.length !== predicted.length) throw new Error(`metrics: ${gold.length} gold labels but ${predicted.length} predictions`);
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    if (gold[i] < 0 || gold[i] >= k) throw new Error(`metrics: gold label ${gold[i]} at row ${i} is outside 0..${k - 1}`);
    confusion[gold[i]][predicted[i]] += 1;
    if (gold[i] === predicted[i]) correct += 1;
  }
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedC = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predictedC ? tp / predictedC : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  // Macro-F1 over the classes present in the gold labels (as scikit-learn does for labels seen in y_true or y_pred).
  const present = perClass.filter((c, i) => c.support > 0 || confusion.some((row) => row[i] > 0));
  const macroF1 = present.length ? present.reduce((a, c) => a + c.f1, 0) / present.length : 0;
  return { accuracy: gold.length ? correct / gold.length : 0, macro_f1: macroF1, n: gold.length, per_class: perClass, confusion };
}

/** Percentile by linear interpolation between closest ranks (numpy's default). */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * 95% percentile-bootstrap interval of an accuracy: `resamples` draws of n rows with replacement from the per-row
 * outcomes (1 right, 0 wrong), the 2.5th and 97.5th percentiles of their accuracies. Seeded, so a report is repeatable.
 */
export function bootstrapAccuracyInterval(correct: ArrayLike<boolean>, resamples = 1000, seed = 1): [number, number] {
  const n = correct.length;
  if (!n) return [NaN, NaN];
  const rng = new Rng(seed);
  const accuracies: number[] = [];
  for (let b = 0; b < resamples; b++) {
    let right = 0;
    for (let i = 0; i < n; i++) if (correct[rng.int(n)]) right++;
    accuracies.push(right / n);
  }
  return [percentile(accuracies, 2.5), percentile(accuracies, 97.5)];
}
