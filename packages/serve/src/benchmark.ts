/**
 * The benchmark of one ONNX model: test accuracy and macro-F1, size, latency at batch 1 over real test sentences, and
 * throughput at batch 32 over the same sentences (in test order, as a client would send them).
 */
import * as fs from 'node:fs';
import { argmaxRows, bootstrapAccuracyInterval, classificationMetrics, labelSets, meanStd, multiLabelMetrics, percentile, sigmoidAll, subsetCorrect, type Example } from '@distill/core';
import { OnnxClassifier } from '@distill/runtime';

export interface ModelResult {
  name: string;
  role: 'teacher' | 'student' | 'baseline';
  format: string;
  file: string;
  /** multi-label models: subset accuracy (the predicted label set equals the gold set) */
  accuracy: number;
  macro_f1: number;
  /** multi-label models: the problem type and micro-F1 (at the per-label thresholds chosen on valid) */
  problem_type?: 'multi_label_classification';
  micro_f1?: number;
  /** 95% bootstrap interval of `accuracy` (1000 resamples of the test rows) */
  ci95?: [number, number];
  /** accuracy on the test rows whose text is not in the training set (when the benchmark was told which those are) */
  accuracy_unseen?: number;
  /** which part earns the accuracy: a model with a wide n-gram table scored by the table alone, the encoder alone and
   * both (the served output); a model without one has only `encoder` */
  components?: Partial<Record<'table' | 'encoder' | 'both', ComponentScore>>;
  /** parameters per part (`table`, `encoder`) */
  params_by_part?: Record<string, number>;
  /** the pipeline stage that trained the model */
  stage?: string;
  params: number;
  size_bytes: number;
  latency_ms: { p50: number; p99: number; mean: number; std: number };
  /** texts per second classified in batches of `batch_size` (absent from reports written before it was measured) */
  throughput?: { batch_size: number; texts_per_s: number };
}

export interface BenchmarkOptions {
  latencySamples: number;
  warmup: number;
  threads: number;
  /** batch size of the throughput measurement (32) */
  throughputBatch?: number;
  /** per test row: its text also occurs in the training data (then `accuracy_unseen` is measured on the others) */
  inTrain?: readonly boolean[];
}

export interface ComponentScore {
  accuracy: number;
  ci95: [number, number];
  accuracy_unseen?: number;
}

/** Accuracy, its bootstrap interval and (given `inTrain`) the accuracy on unseen rows, from per-row outcomes. */
export function scoreCorrect(correct: readonly boolean[], inTrain?: readonly boolean[]): ComponentScore {
  const accuracy = correct.filter(Boolean).length / Math.max(1, correct.length);
  const unseen = inTrain ? keptAccuracy(correct, inTrain.map((x) => !x)) : undefined;
  return { accuracy, ci95: bootstrapAccuracyInterval(correct), ...(unseen !== undefined ? { accuracy_unseen: unseen } : {}) };
}

/** `scoreCorrect` of one set of logits against single labels (argmax). */
export function scoreLogits(logits: Float32Array, gold: readonly number[], numLabels: number, inTrain?: readonly boolean[]): ComponentScore {
  const predicted = argmaxRows(logits, numLabels);
  return scoreCorrect(gold.map((g, i) => predicted[i] === g), inTrain);
}

/** Accuracy over the rows where `keep` holds. */
export function keptAccuracy(correct: readonly boolean[], keep: readonly boolean[]): number {
  let n = 0;
  let right = 0;
  correct.forEach((c, i) => {
    if (!keep[i]) return;
    n += 1;
    if (c) right += 1;
  });
  return n ? right / n : NaN;
}

export async function benchmarkModel(file: string, test: readonly Example[], o: BenchmarkOptions): Promise<Omit<ModelResult, 'name' | 'role' | 'format' | 'params'>> {
  const clf = await OnnxClassifier.load(file, { threads: o.threads });
  try {
    const gold = test.map((r) => r.label);
    const k = clf.labels.length;
    const parts = await clf.componentLogits(test.map((r) => r.text));
    // multi-label: subset accuracy (with its interval), macro- and micro-F1 at the thresholds chosen on valid
    const sets = clf.multiLabel ? labelSets(test) : null;
    const probs = sets ? sigmoidAll(parts.both) : null;
    const multi = sets && probs ? multiLabelMetrics(sets, probs, clf.thresholds, clf.labels) : null;
    const m = multi ? { accuracy: multi.subset_accuracy, macro_f1: multi.macro_f1 } : classificationMetrics(gold, argmaxRows(parts.both, k), clf.labels);
    const both = sets && probs ? scoreCorrect(subsetCorrect(sets, probs, clf.thresholds), o.inTrain) : scoreLogits(parts.both, gold, k, o.inTrain);
    const components: ModelResult['components'] = parts.table && parts.encoder ? { table: scoreLogits(parts.table, gold, k, o.inTrain), encoder: scoreLogits(parts.encoder, gold, k, o.inTrain), both } : { encoder: both };
    const texts = test.slice(0, Math.min(test.length, o.latencySamples)).map((r) => r.text);
    for (let i = 0; i < o.warmup; i++) await clf.logits([texts[i % texts.length]]);
    const times: number[] = [];
    for (const t of texts) {
      const start = process.hrtime.bigint();
      await clf.logits([t]);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const { mean, std } = meanStd(times);
    const batch = o.throughputBatch ?? 32;
    const start = process.hrtime.bigint();
    for (let i = 0; i < texts.length; i += batch) await clf.logits(texts.slice(i, i + batch));
    const texts_per_s = texts.length / (Number(process.hrtime.bigint() - start) / 1e9);
    return {
      file,
      accuracy: m.accuracy,
      macro_f1: m.macro_f1,
      ...(multi ? { problem_type: 'multi_label_classification' as const, micro_f1: multi.micro_f1 } : {}),
      ci95: both.ci95,
      ...(both.accuracy_unseen !== undefined ? { accuracy_unseen: both.accuracy_unseen } : {}),
      components,
      size_bytes: fs.statSync(file).size,
      latency_ms: { p50: percentile(times, 50), p99: percentile(times, 99), mean, std },
      throughput: { batch_size: batch, texts_per_s },
    };
  } finally {
    await clf.dispose();
  }
}
