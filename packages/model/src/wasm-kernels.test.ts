import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { valuesOn } from './backend-compare.testutil';
import { patchWasmKernels } from './wasm-kernels';

function expectClose(a: number[][], b: number[][], tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i].length);
    row.forEach((x, j) => expect(Math.abs(x - b[i][j])).toBeLessThan(tol));
  });
}

describe('wasm kernel fixes agree with the cpu backend', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    patchWasmKernels();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const a = () => tf.tensor3d(Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i)), [2, 3, 4]);
  const b = () => tf.tensor3d(Array.from({ length: 2 * 4 * 5 }, (_, i) => Math.cos(i)), [2, 4, 5]);

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('BatchMatMul forward, transposeA=%s transposeB=%s', async (ta, tb) => {
    const f = () => tf.matMul(ta ? a().transpose([0, 2, 1]) : a(), tb ? b().transpose([0, 2, 1]) : b(), ta, tb);
    expectClose(await valuesOn('wasm', f), await valuesOn('cpu', f));
  });

  it('BatchMatMul gradients (which use transposed products)', async () => {
    const f = () => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).square().sum());
      return g([a(), b()]);
    };
    expectClose(await valuesOn('wasm', f), await valuesOn('cpu', f), 1e-3);
  });

  it('UnsortedSegmentSum forward, with repeated and out-of-range ids', async () => {
    const f = () => tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([2, 0, 2, 5], 'int32'), 3);
    const w = await valuesOn('wasm', f);
    expectClose(w, await valuesOn('cpu', f));
    expect(w[0]).toEqual([3, 4, 0, 0, 6, 8]);
  });

  it('gather gradient (embedding backprop)', async () => {
    const f = () => {
      const table = tf.tensor2d(Array.from({ length: 6 * 3 }, (_, i) => i / 10), [6, 3]);
      const ids = tf.tensor2d([[1, 2, 1], [5, 0, 1]], [2, 3], 'int32');
      return tf.grad((t: tf.Tensor) => tf.gather(t, ids.flatten()).mul(tf.range(0, 18).reshape([6, 3])).sum())(table);
    };
    expectClose(await valuesOn('wasm', f), await valuesOn('cpu', f));
  });
});
