import { poolLogits } from '@distill/core';
import { weightGrid } from './ensemble';

describe('ensemble weights and pooling', () => {
  it('tries every combination but all zeros, the lightest first', () => {
    const grid = weightGrid([1, 0, 0.5, 1], 2);
    expect(grid).toHaveLength(8);
    expect(grid[0]).toEqual([0, 0.5]);
    expect(grid[grid.length - 1]).toEqual([1, 1]);
    expect(grid).not.toContainEqual([0, 0]);
  });

  it('pools log-probabilities: a member of weight 0 is not read, and the temperature divides', () => {
    const a = Float32Array.from([0, Math.log(3)]); // p = [0.25, 0.75]
    const b = Float32Array.from([Math.log(3), 0]); // p = [0.75, 0.25]
    const pooled = poolLogits([a, b], [1, 1], 2);
    expect(pooled[0]).toBeCloseTo(pooled[1], 6);
    expect(Array.from(poolLogits([a, null], [1, 0], 2, 2)).map((x) => +x.toFixed(6))).toEqual([+(Math.log(0.25) / 2).toFixed(6), +(Math.log(0.75) / 2).toFixed(6)]);
    expect(() => poolLogits([a, b], [0, 0], 2)).toThrow(/every weight is 0/);
  });
});
