/**
 * Augmenting a dataset: the original rows first, then each row's new, distinct variants (a variant equal to any
 * original or to an earlier variant is rejected), with per-strategy statistics and samples.
 */
import type { Example } from '@distill/core';
import type { Candidate } from './candidates';

export interface AugmentedRow extends Example {
  origin_id: string;
  strategy: string;
}

export interface AugmentStats {
  input_rows: number;
  output_rows: number;
  produced: Record<string, number>;
  duplicates_rejected: number;
  mean_edit_distance: Record<string, number>;
  samples: Record<string, { original: string; augmented: string }[]>;
}

/** Levenshtein distance over code points. */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

export function mergeCandidates(rows: readonly Example[], candidates: readonly (readonly Candidate[])[], strategyNames: readonly string[], samplesPerStrategy = 5): { rows: AugmentedRow[]; stats: AugmentStats } {
  const stats: AugmentStats = { input_rows: rows.length, output_rows: 0, produced: {}, duplicates_rejected: 0, mean_edit_distance: {}, samples: {} };
  const distance: Record<string, number> = {};
  for (const name of strategyNames) {
    stats.produced[name] = 0;
    stats.samples[name] = [];
    distance[name] = 0;
  }
  const out: AugmentedRow[] = rows.map((r) => ({ ...r, origin_id: r.id, strategy: 'original' }));
  const seen = new Set(rows.map((r) => r.text));
  rows.forEach((row, i) => {
    (candidates[i] ?? []).forEach((c, k) => {
      if (!c.text.trim() || seen.has(c.text)) {
        stats.duplicates_rejected += 1;
        return;
      }
      seen.add(c.text);
      out.push({ ...row, id: `${row.id}~${k}`, text: c.text, origin_id: row.id, strategy: c.strategy });
      stats.produced[c.strategy] += 1;
      distance[c.strategy] += editDistance(row.text, c.text);
      if (stats.samples[c.strategy].length < samplesPerStrategy) stats.samples[c.strategy].push({ original: row.text, augmented: c.text });
    });
  });
  for (const name of strategyNames) stats.mean_edit_distance[name] = stats.produced[name] ? distance[name] / stats.produced[name] : 0;
  stats.output_rows = out.length;
  return { rows: out, stats };
}
