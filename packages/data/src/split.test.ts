import { Rng } from '@distill/core';
import { iterativeStratifiedSplit, kShotSlices, stratifiedSplit } from './split';

describe('stratifiedSplit', () => {
  const labels = [...Array(200).fill(0), ...Array(50).fill(1), ...Array(10).fill(2)];
  it('holds out the same share of every label', () => {
    const [kept, held] = stratifiedSplit(labels, 0.2, 1);
    const count = (idx: number[], l: number) => idx.filter((i) => labels[i] === l).length;
    expect([count(held, 0), count(held, 1), count(held, 2)]).toEqual([40, 10, 2]);
    expect(kept.length + held.length).toBe(labels.length);
    expect(new Set([...kept, ...held]).size).toBe(labels.length);
  });
  it('is deterministic for a seed and changes with it', () => {
    expect(stratifiedSplit(labels, 0.2, 1)).toEqual(stratifiedSplit(labels, 0.2, 1));
    expect(stratifiedSplit(labels, 0.2, 1)[1]).not.toEqual(stratifiedSplit(labels, 0.2, 2)[1]);
  });
});

describe('kShotSlices', () => {
  const labels = [...Array(40).fill(0), ...Array(20).fill(1), ...Array(5).fill(2)];
  const slices = kShotSlices(labels, [16, 4, 8], 3);
  const perLabel = (idx: number[]) => [0, 1, 2].map((l) => idx.filter((i) => labels[i] === l).length);
  it('has exactly k rows per class where the class has k rows', () => {
    expect(perLabel(slices.get(4)!)).toEqual([4, 4, 4]);
    expect(perLabel(slices.get(8)!)).toEqual([8, 8, 5]);
    expect(perLabel(slices.get(16)!)).toEqual([16, 16, 5]);
  });
  it('nests: each larger slice contains the smaller', () => {
    const s4 = new Set(slices.get(4));
    const s8 = new Set(slices.get(8));
    expect([...s4].every((i) => s8.has(i))).toBe(true);
    expect(slices.get(8)!.every((i) => slices.get(16)!.includes(i))).toBe(true);
  });
  it('is deterministic for a seed', () => {
    expect(kShotSlices(labels, [4], 3)).toEqual(kShotSlices(labels, [4], 3));
    expect(kShotSlices(labels, [4], 3).get(4)).not.toEqual(kShotSlices(labels, [4], 4).get(4));
  });
});

describe('iterativeStratifiedSplit', () => {
  // 300 rows, 4 labels with different frequencies, 1-3 labels per row
  const rng = new Rng(5);
  const sets = Array.from({ length: 300 }, () => [0, 1, 2, 3].filter((l) => rng.next() < [0.6, 0.3, 0.1, 0.05][l]));
  it('holds out about the ratio of every label and of the rows', () => {
    const [kept, held] = iterativeStratifiedSplit(sets, 0.2, 1);
    expect(kept.length + held.length).toBe(300);
    expect(new Set([...kept, ...held]).size).toBe(300);
    expect(Math.abs(held.length - 60)).toBeLessThanOrEqual(3);
    for (const l of [0, 1, 2, 3]) {
      const total = sets.filter((s) => s.includes(l)).length;
      const inHeld = held.filter((i) => sets[i].includes(l)).length;
      expect(Math.abs(inHeld - 0.2 * total)).toBeLessThanOrEqual(1.5);
    }
  });
  it('is deterministic for a seed', () => {
    expect(iterativeStratifiedSplit(sets, 0.2, 1)).toEqual(iterativeStratifiedSplit(sets, 0.2, 1));
  });
});
