import { cleanLabeled, cleanUnlabeled, emptyReport, normalizeText } from './clean';
import { stratifiedSplit } from './split';
import type { CleanParams } from './config';

const P: CleanParams = { normalize: true, drop_empty: true, dedupe: true, conflicts: 'drop', remove_test_overlap: true };
const row = (text: string, label: string, i: number) => ({ id: `${i}`, text, label, line: i });

describe('cleaning', () => {
  it('normalises full-width characters and whitespace', () => {
    expect(normalizeText('ＡＢＣ１２３，  你好　世界 ')).toBe('ABC123, 你好 世界');
  });

  it('counts what each step removes', () => {
    const rows = [row('甲', 'a', 1), row('甲', 'a', 2), row('乙', 'a', 3), row('乙', 'b', 4), row('  ', 'a', 5), row('丙', 'b', 6), row('丁', 'a', 7)];
    const report = emptyReport();
    const out = cleanLabeled(rows, P, new Set(['丁']), report);
    expect(out.map((r) => r.text)).toEqual(['甲', '丙']);
    expect(report).toMatchObject({ empty_removed: 1, duplicates_removed: 1, conflicting_texts: 1, conflicting_rows_removed: 2, test_overlap_removed: 1 });
  });

  it('keeps the majority label when asked, and drops ties', () => {
    const rows = [row('甲', 'a', 1), row('甲', 'a', 2), row('甲', 'b', 3), row('乙', 'a', 4), row('乙', 'b', 5)];
    const out = cleanLabeled(rows, { ...P, dedupe: false, conflicts: 'majority' }, new Set(), emptyReport());
    expect(out.map((r) => [r.text, r.label])).toEqual([['甲', 'a'], ['甲', 'a']]);
  });

  it('deduplicates unlabeled text and removes test sentences', () => {
    const rows = ['一', '一', '二', '测试'].map((t, i) => ({ id: `${i}`, text: t, label: null, line: i + 1 }));
    const report = emptyReport();
    expect(cleanUnlabeled(rows, P, new Set(['测试']), report).map((r) => r.text)).toEqual(['一', '二']);
    expect(report.duplicates_removed).toBe(1);
    expect(report.test_overlap_removed).toBe(1);
  });
});

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
