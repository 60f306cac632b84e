/** Accuracy of an ONNX model and its agreement with reference logits, on ONNX Runtime. */
import { argmaxRows, type Example } from '@distill/core';
import { OnnxClassifier, type EvaluationMetrics } from '@distill/runtime';

export interface Parity {
  max_abs_diff: number;
  argmax_agreement: number;
}

export function parity(a: Float32Array, b: Float32Array, k: number): Parity {
  if (a.length !== b.length) throw new Error(`parity: ${a.length / k} rows vs ${b.length / k} rows`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  const x = argmaxRows(a, k);
  const y = argmaxRows(b, k);
  let same = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same += 1;
  return { max_abs_diff: max, argmax_agreement: x.length ? same / x.length : 1 };
}

/** An ONNX model's logits and metrics on labeled rows (multi-label: at serving.json's thresholds, `accuracy` being subset accuracy). */
export async function onnxLogits(modelFile: string, rows: readonly Example[]): Promise<EvaluationMetrics & { logits: Float32Array; labels: string[] }> {
  const clf = await OnnxClassifier.load(modelFile, { threads: 1 });
  try {
    const { logits, metrics } = await clf.evaluate(rows);
    return { logits, ...metrics, labels: clf.labels };
  } finally {
    await clf.dispose();
  }
}
