import * as tf from '@tensorflow/tfjs';
import { distillationLoss } from './losses';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('distillation loss', () => {
  const student = () => tf.tensor2d([[1, 2, 0]]);
  const teacher = () => tf.tensor2d([[2, 0, 1]]);
  const labels = () => tf.tensor1d([1], 'int32');
  const softmax = (xs: number[]) => {
    const e = xs.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };

  it('matches the hand-computed soft-label loss: T² · KL(p_teacher,T ‖ p_student,T)', () => {
    const T = 2;
    const pt = softmax([2 / T, 0, 1 / T]);
    const ps = softmax([1 / T, 2 / T, 0]);
    const kl = pt.reduce((a, p, i) => a + p * Math.log(p / ps[i]), 0);
    const got = tf.tidy(() => distillationLoss(student(), teacher(), labels(), 1, T).dataSync()[0]);
    expect(got).toBeCloseTo(T * T * kl, 5);
  });

  it('is the hard-label cross-entropy at alpha = 0, and mixes linearly', () => {
    const ce = -Math.log(softmax([1, 2, 0])[1]);
    const hard = tf.tidy(() => distillationLoss(student(), teacher(), labels(), 0, 2).dataSync()[0]);
    expect(hard).toBeCloseTo(ce, 5);
    const soft = tf.tidy(() => distillationLoss(student(), teacher(), labels(), 1, 2).dataSync()[0]);
    const mixed = tf.tidy(() => distillationLoss(student(), teacher(), labels(), 0.3, 2).dataSync()[0]);
    expect(mixed).toBeCloseTo(0.3 * soft + 0.7 * hard, 5);
  });

  it('is zero for identical soft targets', () => {
    expect(tf.tidy(() => distillationLoss(student(), student(), labels(), 1, 3).dataSync()[0])).toBeCloseTo(0, 6);
  });
});
