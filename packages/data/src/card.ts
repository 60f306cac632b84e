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
  /** texts cut to source.max_chars */
  truncated_texts: number;
  /** labels with fewer training rows than min_class_rows, and their counts */
  small_classes: Record<string, number>;
  cleaning: { train: CleanReport; unlabeled: CleanReport | null };
  splits: Record<string, SplitCard>;
  vocab: { size: number; source: string };
  /** largest difference between a label's share of train and of valid, in percentage points */
  train_valid_max_gap_pp: number;
}

function stats(values: number[]): LengthStats {
  if (!values.length) return { mean: 0, p50: 0, p95: 0, max: 0 };
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values) };
}

/** Label indices of a row: its label set (multi-label) or its one label (none when unlabeled). */
export function labelsOf(r: Example): number[] {
  return r.labels ?? (r.label >= 0 ? [r.label] : []);
}

/** Rows per label (a multi-label row counts for each of its labels). */
export function countLabels(rows: readonly Example[], labels: readonly string[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  for (const r of rows) for (const i of labelsOf(r)) out[labels[i]] += 1;
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
    per_label: countLabels(rows, labels),
    chars: stats(rows.map((r) => Array.from(r.text).length)),
    tokens: stats(tokenLengths),
    unk_rate: total ? unk / total : 0,
    truncated_share: rows.length ? truncated / rows.length : 0,
  };
}

/** Largest difference, in percentage points, between a label's share of split `a` and of split `b`. */
export function maxProportionGap(a: readonly Example[], b: readonly Example[], numLabels: number): number {
  if (!a.length || !b.length) return 0;
  const share = (rows: readonly Example[], l: number) => rows.filter((r) => labelsOf(r).includes(l)).length / rows.length;
  let gap = 0;
  for (let l = 0; l < numLabels; l++) gap = Math.max(gap, Math.abs(share(a, l) - share(b, l)) * 100);
  return gap;
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
    `Largest train/valid difference in a label's share: ${f(card.train_valid_max_gap_pp, 3)} percentage points.`,
    '',
    `Skipped rows: ${card.skipped_rows.length}. Texts cut to max_chars: ${card.truncated_texts}. Classes under min_class_rows: ${Object.entries(card.small_classes).map(([l, n]) => `${l} (${n})`).join(", ") || "none"}. Vocabulary: ${card.vocab.size} tokens (${card.vocab.source}).`,
    '',
  ];
  return lines.join('\n');
}
