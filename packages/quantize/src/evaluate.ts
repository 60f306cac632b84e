/** Accuracy of an ONNX model and its agreement with reference logits, on ONNX Runtime. */
import { argmaxRows, type Example } from '@distill/core';
import { OnnxClassifier } from '@distill/runtime';

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

export async function onnxLogits(modelFile: string, rows: readonly Example[]): Promise<{ logits: Float32Array; accuracy: number; macro_f1: number; labels: string[] }> {
  const clf = await OnnxClassifier.load(modelFile, { threads: 1 });
  try {
    const { logits, metrics } = await clf.evaluate(rows);
    return { logits, accuracy: metrics.accuracy, macro_f1: metrics.macro_f1, labels: clf.labels };
  } finally {
    await clf.dispose();
  }
}
