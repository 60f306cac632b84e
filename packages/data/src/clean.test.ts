import { cleanLabeled, cleanUnlabeled, emptyReport, normalizeText } from './clean';
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

  it('counts the majority over the rows as published, before deduplication', () => {
    // 甲: a twice, b once → a (deduplicated to one row); 乙: a once, b once → a tie, dropped
    const rows = [row('甲', 'a', 1), row('甲', 'b', 2), row('甲', 'a', 3), row('乙', 'a', 4), row('乙', 'b', 5), row('丙', 'c', 6)];
    const report = emptyReport();
    const out = cleanLabeled(rows, { ...P, conflicts: 'majority' }, new Set(), report);
    expect(out.map((r) => [r.text, r.label, r.line])).toEqual([['甲', 'a', 1], ['丙', 'c', 6]]);
    expect(report).toMatchObject({ conflicting_texts: 2, conflicting_rows_removed: 3, duplicates_removed: 1 });
  });

  it('deduplicates unlabeled text and removes test sentences', () => {
    const rows = ['一', '一', '二', '测试'].map((t, i) => ({ id: `${i}`, text: t, label: null, line: i + 1 }));
    const report = emptyReport();
    expect(cleanUnlabeled(rows, P, new Set(['测试']), report).map((r) => r.text)).toEqual(['一', '二']);
    expect(report.duplicates_removed).toBe(1);
    expect(report.test_overlap_removed).toBe(1);
  });

  it("remove_test_overlap 'unlabeled' keeps the training set as published and still cleans the unlabeled text", () => {
    const p = { ...P, remove_test_overlap: 'unlabeled' as const };
    const test = new Set(['测试']);
    expect(cleanLabeled([row('测试', 'a', 1), row('甲', 'b', 2)], p, test, emptyReport()).map((r) => r.text)).toEqual(['测试', '甲']);
    expect(cleanUnlabeled([{ id: '0', text: '测试', label: null, line: 1 }], p, test, emptyReport())).toEqual([]);
    expect(cleanLabeled([row('测试', 'a', 1)], { ...P, remove_test_overlap: false }, test, emptyReport())).toHaveLength(1);
  });
});
