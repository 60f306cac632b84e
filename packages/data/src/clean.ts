/** Cleaning steps, each switchable, each counting what it removed. */
import { normalizeText } from '@distill/core';
import type { CleanParams } from './config';

export { normalizeText };
import type { RawRow } from './load';

export interface CleanReport {
  /** distinct texts that also occur in the test set, before any cleaning step */
  test_overlap_texts: number;
  normalized_changed: number;
  empty_removed: number;
  duplicates_removed: number;
  conflicting_texts: number;
  conflicting_rows_removed: number;
  test_overlap_removed: number;
  /** training rows whose text is in the given valid split (removed: valid stays held out) */
  valid_overlap_removed: number;
}

export function emptyReport(): CleanReport {
  return { test_overlap_texts: 0, normalized_changed: 0, empty_removed: 0, duplicates_removed: 0, conflicting_texts: 0, conflicting_rows_removed: 0, test_overlap_removed: 0, valid_overlap_removed: 0 };
}

/** Cleans labeled training rows (order kept). `testTexts` are the normalised test texts, for leakage removal. */
export function cleanLabeled(rows: RawRow[], p: CleanParams, testTexts: Set<string>, report = emptyReport()): RawRow[] {
  let out = rows.map((r) => {
    if (!p.normalize) return r;
    const text = normalizeText(r.text);
    if (text !== r.text) report.normalized_changed += 1;
    return { ...r, text };
  });
  report.test_overlap_texts = new Set(out.map((r) => r.text).filter((t) => testTexts.has(t))).size;
  if (p.drop_empty) {
    const before = out.length;
    out = out.filter((r) => r.text.trim().length > 0);
    report.empty_removed += before - out.length;
  }
  // before deduplication: 'majority' counts every row as published (after it, each (text, label) pair counts once and
  // every conflict would be a tie)
  if (p.conflicts !== 'keep') {
    const byText = new Map<string, Map<string, number>>();
    for (const r of out) {
      const m = byText.get(r.text) ?? new Map<string, number>();
      m.set(r.label!, (m.get(r.label!) ?? 0) + 1);
      byText.set(r.text, m);
    }
    const keepLabel = new Map<string, string | null>();
    for (const [text, counts] of byText) {
      if (counts.size < 2) continue;
      report.conflicting_texts += 1;
      if (p.conflicts === 'drop') keepLabel.set(text, null);
      else {
        const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
        keepLabel.set(text, sorted[0][1] > sorted[1][1] ? sorted[0][0] : null); // a tie has no majority: drop
      }
    }
    const before = out.length;
    out = out.filter((r) => !keepLabel.has(r.text) || keepLabel.get(r.text) === r.label);
    report.conflicting_rows_removed += before - out.length;
  }
  if (p.dedupe) {
    const seen = new Set<string>();
    const before = out.length;
    out = out.filter((r) => {
      const key = `${r.label}\u0000${r.text}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    report.duplicates_removed += before - out.length;
  }
  return removeOverlap(out, p, testTexts, report, 'train');
}

export function removeOverlap(rows: RawRow[], p: CleanParams, testTexts: Set<string>, report: CleanReport, part: 'train' | 'unlabeled'): RawRow[] {
  if (!p.remove_test_overlap || (p.remove_test_overlap === 'unlabeled' && part === 'train')) return rows;
  const out = rows.filter((r) => !testTexts.has(r.text));
  report.test_overlap_removed += rows.length - out.length;
  return out;
}

/** Cleans unlabeled rows: normalise, drop empties and duplicates, remove test texts. */
export function cleanUnlabeled(rows: RawRow[], p: CleanParams, testTexts: Set<string>, report = emptyReport()): RawRow[] {
  let out = p.normalize ? rows.map((r) => ({ ...r, text: normalizeText(r.text) })) : rows;
  report.test_overlap_texts = new Set(out.map((r) => r.text).filter((t) => testTexts.has(t))).size;
  const before = out.length;
  out = out.filter((r) => r.text.length > 0);
  report.empty_removed += before - out.length;
  const seen = new Set<string>();
  const beforeDedupe = out.length;
  out = out.filter((r) => !seen.has(r.text) && (seen.add(r.text), true));
  report.duplicates_removed += beforeDedupe - out.length;
  return removeOverlap(out, p, testTexts, report, 'unlabeled');
}
