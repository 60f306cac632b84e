import { chooseThresholds, isMultiLabel, labelSets, multiLabelMetrics, sigmoid, subsetCorrect } from './multilabel';

describe('multi-label metrics', () => {
  // 3 rows × 3 labels; at 0.5: row 0 predicts {0}, row 1 {0, 1}, row 2 {}
  const probs = Float32Array.from([0.9, 0.2, 0.1, 0.8, 0.6, 0.3, 0.4, 0.1, 0.45]);
  const gold = [[0], [0, 2], [2]];
  const half = [0.5, 0.5, 0.5];

  it('micro-F1, macro-F1 and subset accuracy as scikit-learn computes them', () => {
    const m = multiLabelMetrics(gold, probs, half, ['a', 'b', 'c']);
    // tp: a 2, b 0, c 0; fp: b 1; fn: c 2 → micro P 2/3, R 2/4 → F1 4/7
    expect(m.micro_f1).toBeCloseTo(4 / 7, 10);
    // per label F1: a 1, b 0 (predicted once, never gold), c 0 → macro 1/3
    expect(m.macro_f1).toBeCloseTo(1 / 3, 10);
    expect(m.subset_accuracy).toBeCloseTo(1 / 3, 10);
    expect(m.per_class.map((c) => c.support)).toEqual([2, 0, 2]);
    expect(subsetCorrect(gold, probs, half)).toEqual([true, false, false]);
  });

  it('lower thresholds chosen on these rows find label c', () => {
    const t = chooseThresholds(gold, probs, 3);
    expect(t[2]).toBeLessThanOrEqual(0.3);
    expect(t[2]).toBeGreaterThan(0.1);
    expect(t[1]).toBe(0.5); // no positive row: left at 0.5
    expect(multiLabelMetrics(gold, probs, t, ['a', 'b', 'c']).micro_f1).toBeGreaterThan(4 / 7);
  });

  it('names a gold label out of range', () => {
    expect(() => multiLabelMetrics([[5]], Float32Array.from([0.1, 0.2]), [0.5, 0.5], ['a', 'b'])).toThrow(/gold label 5 at row 0/);
  });

  it('reads label sets from rows, single- or multi-label', () => {
    expect(isMultiLabel([{ id: '1', text: 'x', label: 0 }])).toBe(false);
    expect(labelSets([{ id: '1', text: 'x', label: -1, labels: [0, 2] }, { id: '2', text: 'y', label: 1 }])).toEqual([[0, 2], [1]]);
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(-800)).toBe(0);
  });
});
