import { Rng, basicTokenize } from '@distill/core';
import { augmentRows, editDistance, joinWords } from './augment';
import { UNK, buildStrategies, randomDelete, randomSwap, unkNoise } from './strategies';

const WORDS = basicTokenize('国足逆转取胜亚洲杯官方回应', false);
const sorted = (xs: string[]) => [...xs].sort();

describe('strategies keep their invariants', () => {
  it('UNK noise only inserts [UNK]', () => {
    for (let s = 0; s < 50; s++) {
      const out = unkNoise(0.3)(WORDS, new Rng(s));
      expect(out).toHaveLength(WORDS.length);
      out.forEach((w, i) => expect([WORDS[i], UNK]).toContain(w));
    }
  });
  it('swap keeps the multiset of words', () => {
    for (let s = 0; s < 50; s++) expect(sorted(randomSwap(2)(WORDS, new Rng(s)))).toEqual(sorted(WORDS));
  });
  it('delete keeps an ordered, non-empty subsequence', () => {
    for (let s = 0; s < 50; s++) {
      const out = randomDelete(0.5)(WORDS, new Rng(s));
      expect(out.length).toBeGreaterThan(0);
      let j = 0;
      for (const w of WORDS) if (j < out.length && out[j] === w) j++;
      expect(j).toBe(out.length);
    }
  });
});

describe('augmentRows', () => {
  const rows = ['国足逆转取胜亚洲杯', '央行下调房贷利率', '华为发布新款折叠屏手机'].map((text, i) => ({ id: `r${i}`, text, label: i }));
  const strategies = buildStrategies({ unk: { p: 0.2 }, swap: { n: 1 }, delete: { p: 0.2 } });

  it('keeps every original first, then distinct variants that carry their origin and label', () => {
    const { rows: out, stats } = augmentRows(rows, strategies, 6, 1);
    expect(out.slice(0, 3).map((r) => r.strategy)).toEqual(['original', 'original', 'original']);
    expect(new Set(out.map((r) => r.text)).size).toBe(out.length);
    for (const r of out.slice(3)) {
      const origin = rows.find((o) => o.id === r.origin_id)!;
      expect(r.label).toBe(origin.label);
      expect(['unk', 'swap', 'delete']).toContain(r.strategy);
    }
    expect(Object.values(stats.produced).reduce((a, b) => a + b, 0) + stats.duplicates_rejected).toBe(18);
    expect(stats.mean_edit_distance.unk).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    expect(augmentRows(rows, strategies, 4, 7)).toEqual(augmentRows(rows, strategies, 4, 7));
    expect(augmentRows(rows, strategies, 4, 7).rows).not.toEqual(augmentRows(rows, strategies, 4, 8).rows);
  });
});

describe('helpers', () => {
  it('joins CJK words without spaces and Latin words with one', () => {
    expect(joinWords(['国', '足', 'nba', 'vs', '[UNK]', '队'])).toBe('国足nba vs [UNK]队');
  });
  it('computes Levenshtein distance over code points', () => {
    expect(editDistance('国足取胜', '国足获胜')).toBe(1);
    expect(editDistance('', '😀a')).toBe(2);
  });
});
