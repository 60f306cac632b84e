/** The data card: what each split holds, what cleaning removed, how long texts are, how well the vocabulary covers them. */
import { percentile, type Example, type WordPieceTokenizer } from '@distill/core';
import type { CleanReport } from './clean';

export interface LengthStats {
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export interface SplitCard {
  rows: number;
  per_label: Record<string, number>;
  chars: LengthStats;
  tokens: LengthStats;
  unk_rate: number;
  truncated_share: number;
}

export interface DataCard {
  labels: string[];
  raw_rows: Record<string, number>;
  raw_per_label: Record<string, number>;
  skipped_rows: { file: string; line: number; reason: string }[];
  cleaning: { train: CleanReport; unlabeled: CleanReport | null };
  splits: Record<string, SplitCard>;
  vocab: { size: number; source: string };
}

function stats(values: number[]): LengthStats {
  if (!values.length) return { mean: 0, p50: 0, p95: 0, max: 0 };
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values) };
}

export function countLabels(labelIdx: readonly number[], labels: readonly string[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  for (const i of labelIdx) if (i >= 0) out[labels[i]] += 1;
  return out;
}

export function splitCard(rows: readonly Example[], labels: readonly string[], tok: WordPieceTokenizer, maxLength: number): SplitCard {
  let unk = 0;
  let total = 0;
  let truncated = 0;
  const tokenLengths = rows.map((r) => {
    const pieces = tok.tokenize(r.text);
    unk += pieces.filter((p) => p === '[UNK]').length;
    total += pieces.length;
    if (pieces.length + 2 > maxLength) truncated += 1;
    return pieces.length;
  });
  return {
    rows: rows.length,
    per_label: countLabels(rows.map((r) => r.label), labels),
    chars: stats(rows.map((r) => Array.from(r.text).length)),
    tokens: stats(tokenLengths),
    unk_rate: total ? unk / total : 0,
    truncated_share: rows.length ? truncated / rows.length : 0,
  };
}

const f = (x: number, d = 1) => x.toFixed(d);

export function cardMarkdown(card: DataCard): string {
  const splits = Object.keys(card.splits);
  const lines = [
    '# Data card',
    '',
    '| split | rows | chars mean / p95 / max | tokens mean / p95 / max | UNK rate | truncated |',
    '|---|---:|---|---|---:|---:|',
    ...splits.map((s) => {
      const c = card.splits[s];
      return `| ${s} | ${c.rows} | ${f(c.chars.mean)} / ${f(c.chars.p95)} / ${c.chars.max} | ${f(c.tokens.mean)} / ${f(c.tokens.p95)} / ${c.tokens.max} | ${f(100 * c.unk_rate, 2)}% | ${f(100 * c.truncated_share, 2)}% |`;
    }),
    '',
    '## Rows per label',
    '',
    `| label | raw train | ${splits.join(' | ')} |`,
    `|---|---:|${splits.map(() => '---:').join('|')}|`,
    ...card.labels.map((l) => `| ${l} | ${card.raw_per_label[l] ?? 0} | ${splits.map((s) => card.splits[s].per_label[l] ?? 0).join(' | ')} |`),
    '',
    '## Cleaning (training data)',
    '',
    ...Object.entries(card.cleaning.train).map(([k, v]) => `- ${k.replace(/_/g, ' ')}: ${v}`),
    ...(card.cleaning.unlabeled ? ['', '## Cleaning (unlabeled data)', '', ...Object.entries(card.cleaning.unlabeled).map(([k, v]) => `- ${k.replace(/_/g, ' ')}: ${v}`)] : []),
    '',
    `Skipped rows: ${card.skipped_rows.length}. Vocabulary: ${card.vocab.size} tokens (${card.vocab.source}).`,
    '',
  ];
  return lines.join('\n');
}
