/** Stratified splits: every label keeps (as near as rounding allows) the same share in each part. */
import { Rng } from '@distill/core';

/** Row indices grouped by label. */
export function indicesByLabel(labels: readonly number[]): Map<number, number[]> {
  const byLabel = new Map<number, number[]>();
  labels.forEach((l, i) => {
    const rows = byLabel.get(l);
    if (rows) rows.push(i);
    else byLabel.set(l, [i]);
  });
  return byLabel;
}

/**
 * Splits row indices into [kept, held-out] with `ratio` of each label held out. Deterministic given the seed;
 * both parts keep the original row order.
 */
export function stratifiedSplit(labels: readonly number[], ratio: number, seed: number): [number[], number[]] {
  const rng = new Rng(seed);
  const byLabel = indicesByLabel(labels);
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

/**
 * Nested k-shot slices: for each k, up to k rows of every label, and every larger slice contains the smaller ones
 * (one seeded shuffle per label, then prefixes). A label with fewer than k rows contributes all it has.
 * Returns k → row indices in the original order.
 */
export function kShotSlices(labels: readonly number[], ks: readonly number[], seed: number): Map<number, number[]> {
  const rng = new Rng(seed);
  const byLabel = indicesByLabel(labels);
  const shuffled = [...byLabel.keys()].sort((a, b) => a - b).map((l) => rng.shuffle([...byLabel.get(l)!]));
  const out = new Map<number, number[]>();
  for (const k of [...ks].sort((a, b) => a - b)) out.set(k, shuffled.flatMap((idx) => idx.slice(0, k)).sort((a, b) => a - b));
  return out;
}

/**
 * Iterative stratification for multi-label data (Sechidis, Tsoumakas & Vlahavas 2011, as scikit-multilearn's
 * `iterative_train_test_split`): repeatedly take the label with the fewest remaining rows and deal its rows to the
 * part that most wants that label (then the part that wants the most rows; ties broken by the seeded rng).
 * Returns [kept, held-out] row indices with about `ratio` of the rows (and of every label) held out.
 */
export function iterativeStratifiedSplit(labelSets: readonly (readonly number[])[], ratio: number, seed: number): [number[], number[]] {
  const rng = new Rng(seed);
  const ratios = [1 - ratio, ratio];
  const wantRows = ratios.map((r) => r * labelSets.length);
  const labelCount = new Map<number, number>();
  for (const set of labelSets) for (const l of set) labelCount.set(l, (labelCount.get(l) ?? 0) + 1);
  const wantLabel = ratios.map((r) => new Map([...labelCount].map(([l, n]) => [l, r * n])));
  const remaining = new Set(labelSets.keys());
  const parts: number[][] = [[], []];
  const choose = (candidates: number[]) => (candidates.length === 1 ? candidates[0] : candidates[rng.int(candidates.length)]);
  const assign = (row: number, part: number) => {
    parts[part].push(row);
    remaining.delete(row);
    wantRows[part] -= 1;
    for (const l of labelSets[row]) wantLabel[part].set(l, wantLabel[part].get(l)! - 1);
  };
  const left = new Map(labelCount);
  while (remaining.size) {
    const active = [...left].filter(([, n]) => n > 0);
    if (!active.length) break;
    const fewest = Math.min(...active.map(([, n]) => n));
    const label = choose(active.filter(([, n]) => n === fewest).map(([l]) => l).sort((a, b) => a - b));
    for (const row of [...remaining].filter((r) => labelSets[r].includes(label))) {
      const byLabel = Math.max(...wantLabel.map((w) => w.get(label)!));
      let candidates = [0, 1].filter((p) => wantLabel[p].get(label)! === byLabel);
      const byRows = Math.max(...candidates.map((p) => wantRows[p]));
      candidates = candidates.filter((p) => wantRows[p] === byRows);
      assign(row, choose(candidates));
      for (const l of labelSets[row]) left.set(l, left.get(l)! - 1);
    }
  }
  for (const row of [...remaining]) assign(row, wantRows[0] >= wantRows[1] ? 0 : 1); // rows without labels
  return [parts[0].sort((a, b) => a - b), parts[1].sort((a, b) => a - b)];
}
