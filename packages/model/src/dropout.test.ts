import * as tf from '@tensorflow/tfjs';
import { dropout, dropoutMaskAttrs, dropoutMaskValues, mix32 } from './dropout';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('dropout masks', () => {
  it('mix32 is the lowbias32 hash', () => {
    // reference values of lowbias32 (x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16)
    expect(mix32(0)).toBe(0);
    // computed independently (Python, 32-bit masks)
    expect([mix32(1), mix32(123456789), mix32(0xffffffff)]).toEqual([0x688990c0, 0xa8f1db88, 0x6768824a]);
    const seen = new Set(Array.from({ length: 10000 }, (_, i) => mix32(i)));
    expect(seen.size).toBe(10000); // a bijection: no collisions
  });

  it.each([0.1, 0.25, 0.5])('drops about a share %f of the elements and scales the rest by 1 / (1 − rate)', (rate) => {
    const m = dropoutMaskValues(dropoutMaskAttrs([200000], rate, 42));
    const dropped = m.filter((x) => x === 0).length / m.length;
    expect(Math.abs(dropped - rate)).toBeLessThan(0.005);
    expect(new Set(m)).toEqual(new Set([0, Math.fround(1 / (1 - rate))]));
    // no long runs: neighbours are independent (P(both dropped) ≈ rate²)
    let both = 0;
    for (let i = 1; i < m.length; i++) both += m[i] === 0 && m[i - 1] === 0 ? 1 : 0;
    expect(Math.abs(both / (m.length - 1) - rate * rate)).toBeLessThan(0.005);
  });

  it('the same seed gives the same mask; other seeds, independent ones', () => {
    const a = dropoutMaskValues(dropoutMaskAttrs([50000], 0.3, 7));
    expect(dropoutMaskValues(dropoutMaskAttrs([50000], 0.3, 7))).toEqual(a);
    for (const other of [8, 7 + 2 ** 32]) {
      const b = dropoutMaskValues(dropoutMaskAttrs([50000], 0.3, other));
      let same = 0;
      for (let i = 0; i < a.length; i++) same += (a[i] === 0) === (b[i] === 0) ? 1 : 0;
      expect(Math.abs(same / a.length - (0.3 * 0.3 + 0.7 * 0.7))).toBeLessThan(0.01);
    }
  });

  it('dropout multiplies by the mask; its gradient is the mask', () => {
    const x = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const mask = dropoutMaskValues(dropoutMaskAttrs([2, 4], 0.5, 3));
    expect(Array.from(dropout(x, 0.5, 3).dataSync())).toEqual(Array.from(x.dataSync(), (v, i) => v * mask[i]));
    const g = tf.grad((t: tf.Tensor) => dropout(t, 0.5, 3).sum())(x);
    expect(Array.from(g.dataSync())).toEqual(Array.from(mask));
    expect(() => dropoutMaskAttrs([2], 1, 0)).toThrow(/rate must be in \[0, 1\)/);
  });
});
