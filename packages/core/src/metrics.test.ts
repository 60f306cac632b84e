import { argmaxRows, classificationMetrics, percentile } from './metrics';

describe('metrics', () => {
  it('computes accuracy, per-class scores and macro-F1 as scikit-learn does', () => {
    // gold: a a b b c ; predicted: a b b b a
    const m = classificationMetrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ['a', 'b', 'c']);
    expect(m.accuracy).toBeCloseTo(0.6);
    // a: p=1/2 r=1/2 f=0.5 ; b: p=2/3 r=1 f=0.8 ; c: 0
    expect(m.per_class.map((c) => c.f1)).toEqual([0.5, expect.closeTo(0.8, 10), 0]);
    expect(m.macro_f1).toBeCloseTo((0.5 + 0.8 + 0) / 3);
    expect(m.confusion).toEqual([[1, 1, 0], [0, 2, 0], [1, 0, 0]]);
  });
  it('takes the argmax of each row', () => {
    expect(Array.from(argmaxRows(Float32Array.from([0, 2, 1, 5, -1, 0]), 3))).toEqual([1, 0]);
  });
  it('interpolates percentiles like numpy', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 99)).toBeCloseTo(4.96);
  });
});
