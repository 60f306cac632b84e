import { guardInt8, opHistogram } from './guard';

describe('INT8 accuracy guard', () => {
  // a fake model: layers a, b, c cost 2.0, 0.3, 0.6 points when quantized
  const cost: Record<string, number> = { a: 2.0, b: 0.3, c: 0.6 };
  const dropWith = async (excluded: string[]) => Object.entries(cost).filter(([l]) => !excluded.includes(l)).reduce((s, [, v]) => s + v, 0);

  it('passes without exclusions when the loss is within bounds', async () => {
    expect(await guardInt8(['a', 'b', 'c'], [], 5, 3, dropWith)).toMatchObject({ passed: true, excluded: [] });
  });

  it('excludes the most sensitive layers one at a time until the loss is within bounds', async () => {
    const r = await guardInt8(['a', 'b', 'c'], [], 0.5, 3, dropWith);
    expect(r.sensitivity.map((s) => s.layer)).toEqual(['a', 'c', 'b']);
    expect(r.excluded).toEqual(['a', 'c']);
    expect(r.passed).toBe(true);
    expect(r.steps.map((s) => s.accuracy_drop_points)).toEqual([2.9, expect.closeTo(0.9, 10), expect.closeTo(0.3, 10)]);
  });

  it('fails, naming the layers tried, when the budget of exclusions runs out', async () => {
    const r = await guardInt8(['a', 'b', 'c'], [], 0.1, 1, dropWith);
    expect(r).toMatchObject({ passed: false, excluded: ['a'] });
  });

  it('counts op types', () => {
    expect(opHistogram(['MatMul', 'Add', 'MatMul', 'Gather'])).toEqual({ MatMul: 2, Add: 1, Gather: 1 });
  });
});
