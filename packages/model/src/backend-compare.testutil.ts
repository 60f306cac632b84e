/** Test helper: runs `f` on a tfjs backend and returns its outputs as plain arrays (to compare backends/kernels). */
import * as tf from '@tensorflow/tfjs';

export async function valuesOn(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Array.from(t.dataSync()));
  list.forEach((t) => t.dispose());
  return values;
}
