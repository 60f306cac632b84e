/** Stratified splits: every label keeps (as near as rounding allows) the same share in each part. */
import { Rng } from '@distill/core';

/**
 * Splits row indices into [kept, held-out] with `ratio` of each label held out. Deterministic given the seed;
 * both parts keep the original row order.
 */
export function stratifiedSplit(labels: readonly number[], ratio: number, seed: number): [number[], number[]] {
  const rng = new Rng(seed);
  const byLabel = new Map<number, number[]>();
  labels.forEach((l, i) => byLabel.set(l, [...(byLabel.get(l) ?? []), i]));
  const held = new Set<number>();
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle([...byLabel.get(label)!]);
    const n = Math.round(idx.length * ratio);
    for (const i of idx.slice(0, n)) held.add(i);
  }
  const kept: number[] = [];
  const out: number[] = [];
  labels.forEach((_, i) => (held.has(i) ? out : kept).push(i));
  return [kept, out];
}
