/** Applies the configured strategies to a dataset: the original rows first, then new, distinct variants. */
import { Rng, basicTokenize, deriveSeed, type Example } from '@distill/core';
import type { StrategyName, Strategy } from './strategies';

export interface AugmentedRow extends Example {
  origin_id: string;
  strategy: string;
}

export interface AugmentStats {
  produced: Record<string, number>;
  duplicates_rejected: number;
  mean_edit_distance: Record<string, number>;
  samples: Record<string, { original: string; augmented: string }[]>;
}

/** Joins words back into text: no space between CJK characters, one space between other words. */
export function joinWords(words: string[]): string {
  let out = '';
  for (const w of words) {
    const needSpace = out && /[A-Za-z0-9\]]$/.test(out) && /^[A-Za-z0-9[]/.test(w);
    out += (needSpace ? ' ' : '') + w;
  }
  return out;
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

export function augmentRows(rows: readonly Example[], strategies: [StrategyName, Strategy][], multiplier: number, seed: number): { rows: AugmentedRow[]; stats: AugmentStats } {
  const stats: AugmentStats = { produced: {}, duplicates_rejected: 0, mean_edit_distance: {}, samples: {} };
  const distSum: Record<string, number> = {};
  const out: AugmentedRow[] = rows.map((r) => ({ ...r, origin_id: r.id, strategy: 'original' }));
  const seen = new Set(rows.map((r) => r.text));
  for (const [name] of strategies) {
    stats.produced[name] = 0;
    stats.samples[name] = [];
    distSum[name] = 0;
  }
  if (!strategies.length) return { rows: out, stats };
  rows.forEach((row, i) => {
    // One rng per row: the result for a row does not depend on how rows are split across workers.
    const rng = new Rng(deriveSeed(seed, `row-${i}`));
    const words = basicTokenize(row.text, false);
    for (let k = 0; k < multiplier; k++) {
      const [name, strategy] = strategies[k % strategies.length];
      const text = joinWords(strategy(words, rng));
      if (seen.has(text)) {
        stats.duplicates_rejected += 1;
        continue;
      }
      seen.add(text);
      out.push({ id: `${row.id}-aug${k}`, text, label: row.label, origin_id: row.id, strategy: name });
      stats.produced[name] += 1;
      distSum[name] += editDistance(row.text, text);
      if (stats.samples[name].length < 5) stats.samples[name].push({ original: row.text, augmented: text });
    }
  });
  for (const [name] of strategies) stats.mean_edit_distance[name] = stats.produced[name] ? distSum[name] / stats.produced[name] : 0;
  return { rows: out, stats };
}
