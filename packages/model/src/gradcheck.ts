/**
 * Numeric gradient check: compares the analytic gradient of `loss` with respect to `variable` against central
 * differences at the entries with the largest analytic gradient. Used by the tests of every differentiable piece.
 */
import * as tf from '@tensorflow/tfjs';

export interface GradCheck {
  index: number;
  analytic: number;
  numeric: number;
}

export function gradientCheck(loss: () => tf.Scalar, variable: tf.Variable, entries = 3, eps = 1e-2): GradCheck[] {
  const { grads } = tf.variableGrads(loss, [variable]);
  const g = grads[variable.name].dataSync();
  Object.values(grads).forEach((t) => t.dispose());
  const order = Array.from(g.keys())
    .sort((i, j) => Math.abs(g[j]) - Math.abs(g[i]))
    .slice(0, entries);
  const base = variable.dataSync().slice();
  const at = (index: number, delta: number) => {
    const changed = base.slice();
    changed[index] += delta;
    variable.assign(tf.tensor(changed, variable.shape));
    return tf.tidy(() => loss().dataSync()[0]);
  };
  const out = order.map((index) => ({ index, analytic: g[index], numeric: (at(index, eps) - at(index, -eps)) / (2 * eps) }));
  variable.assign(tf.tensor(base, variable.shape));
  return out;
}
