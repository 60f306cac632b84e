import * as tf from '@tensorflow/tfjs';
import { binaryCrossEntropy } from './losses';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('binaryCrossEntropy', () => {
  it('is the mean of −y·log σ(x) − (1 − y)·log(1 − σ(x)), stable for large logits, with the gradient σ(x) − y', () => {
    const x = [[2, -1, 0], [-30, 40, 0.5]];
    const y = [[1, 0, 1], [0, 1, 0]];
    const ref = x.flat().reduce((a, v, i) => {
      const s = 1 / (1 + Math.exp(-v));
      const t = y.flat()[i];
      // log(1 − σ(x)) written as log σ(−x) so that the reference stays finite at x = 40
      return a - (t ? Math.log(s) : Math.log(1 / (1 + Math.exp(v))));
    }, 0) / 6;
    const logits = tf.tensor2d(x);
    const targets = tf.tensor2d(y);
    expect(binaryCrossEntropy(logits, targets).dataSync()[0]).toBeCloseTo(ref, 5);
    const grad = tf.grad((l: tf.Tensor) => binaryCrossEntropy(l as tf.Tensor2D, targets))(logits).dataSync();
    x.flat().forEach((v, i) => expect(grad[i]).toBeCloseTo((1 / (1 + Math.exp(-v)) - y.flat()[i]) / 6, 5));
  });
});
