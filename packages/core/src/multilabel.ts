/**
 * Multi-label classification: each text has a set of labels. A model scores every label on its own (a sigmoid per
 * label, trained with binary cross-entropy); a label is predicted when its probability reaches that label's threshold,
 * chosen on valid. Metrics as scikit-learn defines them: micro-F1 (every (row, label) decision pooled), macro-F1 (the
 * mean of per-label F1, here over the labels present in gold or predictions, where scikit-learn would count an absent
 * label as 0), subset accuracy (the predicted set equals the gold set).
 */
import type { ClassMetrics } from './metrics';
import type { Example } from './arrow';

/** Whether a split is multi-label (its rows carry label sets). */
export function isMultiLabel(rows: readonly Example[]): boolean {
  return rows.some((r) => r.labels !== undefined);
}

/** Every row's gold label set: its `labels`, or its one `label`. */
export function labelSets(rows: readonly Example[]): number[][] {
  return rows.map((r) => r.labels ?? (r.label >= 0 ? [r.label] : []));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Element-wise sigmoid of a logits matrix. */
export function sigmoidAll(logits: Float32Array): Float32Array {
  return logits.map(sigmoid);
}

export interface MultiLabelMetrics {
  micro_f1: number;
  macro_f1: number;
  /** rows whose predicted label set equals the gold set */
  subset_accuracy: number;
  n: number;
  per_class: ClassMetrics[];
}

function f1Of(tp: number, fp: number, fn: number): { precision: number; recall: number; f1: number } {
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** The predicted label set of row `r`: every label whose probability reaches its threshold. */
export function predictedSet(probs: Float32Array, r: number, thresholds: readonly number[]): number[] {
  const k = thresholds.length;
  const out: number[] = [];
  for (let j = 0; j < k; j++) if (probs[r * k + j] >= thresholds[j]) out.push(j);
  return out;
}

/** Per-row subset-accuracy outcomes (for a bootstrap interval). */
export function subsetCorrect(gold: readonly (readonly number[])[], probs: Float32Array, thresholds: readonly number[]): boolean[] {
  return gold.map((g, r) => {
    const p = predictedSet(probs, r, thresholds);
    return p.length === g.length && p.every((j) => g.includes(j));
  });
}

/** Label j's true positives, false positives and false negatives at threshold t. */
function labelCounts(gold: readonly (readonly number[])[], probs: Float32Array, k: number, j: number, t: number): { tp: number; fp: number; fn: number } {
  const c = { tp: 0, fp: 0, fn: 0 };
  gold.forEach((g, r) => {
    const predicted = probs[r * k + j] >= t;
    const isGold = g.includes(j);
    if (predicted && isGold) c.tp += 1;
    else if (predicted) c.fp += 1;
    else if (isGold) c.fn += 1;
  });
  return c;
}

export function multiLabelMetrics(gold: readonly (readonly number[])[], probs: Float32Array, thresholds: readonly number[], labels: readonly string[]): MultiLabelMetrics {
  const k = labels.length;
  if (thresholds.length !== k) throw new Error(`metrics: ${thresholds.length} thresholds for ${k} labels`);
  if (probs.length !== gold.length * k) throw new Error(`metrics: ${gold.length} gold rows but ${probs.length / k} predictions`);
  gold.forEach((g, r) => {
    for (const j of g) if (j < 0 || j >= k) throw new Error(`metrics: gold label ${j} at row ${r} is outside 0..${k - 1}`);
  });
  const counts = labels.map((_, j) => labelCounts(gold, probs, k, j, thresholds[j]));
  const perClass = labels.map((label, j) => ({ label, ...f1Of(counts[j].tp, counts[j].fp, counts[j].fn), support: counts[j].tp + counts[j].fn }));
  const present = perClass.filter((_, j) => counts[j].tp + counts[j].fp + counts[j].fn > 0);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  const subset = subsetCorrect(gold, probs, thresholds);
  return {
    micro_f1: f1Of(sum(counts.map((c) => c.tp)), sum(counts.map((c) => c.fp)), sum(counts.map((c) => c.fn))).f1,
    macro_f1: present.length ? sum(present.map((c) => c.f1)) / present.length : 0,
    subset_accuracy: gold.length ? subset.filter(Boolean).length / gold.length : 0,
    n: gold.length,
    per_class: perClass,
  };
}

/** The thresholds tried per label: 0.05, 0.10, …, 0.95. */
export const THRESHOLD_GRID = Array.from({ length: 19 }, (_, i) => Math.round((i + 1) * 5) / 100);

/**
 * One threshold per label, each the grid value with the best F1 for that label on these rows (valid); a tie goes to
 * the value nearest 0.5, and a label with no positive row keeps 0.5.
 */
export function chooseThresholds(gold: readonly (readonly number[])[], probs: Float32Array, k: number, grid: readonly number[] = THRESHOLD_GRID): number[] {
  return Array.from({ length: k }, (_, j) => {
    if (!gold.some((g) => g.includes(j))) return 0.5;
    let best = 0.5;
    let bestF1 = -1;
    for (const t of grid) {
      const c = labelCounts(gold, probs, k, j, t);
      const f1 = f1Of(c.tp, c.fp, c.fn).f1;
      if (f1 > bestF1 + 1e-12 || (Math.abs(f1 - bestF1) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(best - 0.5))) {
        best = t;
        bestF1 = f1;
      }
    }
    return best;
  });
}
