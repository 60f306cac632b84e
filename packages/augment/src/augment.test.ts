import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildPosVocab, joinWords, Rng, segment } from '@distill/core';
import { editDistance, mergeCandidates } from './augment';
import { candidatesFor } from './candidates';
import { loadCilin, synonymsOf } from './lexicon';
import { UNK, ngramSample, randomDelete, randomInsert, randomSwap, samePosReplace, synonymReplace, unkNoise } from './strategies';
import { candidatesParallel } from './workers';

const TEXTS = ['国足逆转取胜亚洲杯，官方回应！', '央行下调房贷利率，专家解读', '华为发布新款折叠屏手机', '教育部公布高考招生计划', '比亚迪新能源车销量大涨', '人们喜欢美丽的风景'];
const SEGMENTED = TEXTS.map(segment);
const WORDS = SEGMENTED[0];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cilin-'));
const CILIN = path.join(dir, 'cilin.txt');
fs.writeFileSync(CILIN, ['Aa01A01= 人 士 人物 人士', 'Aa01A02= 人类 生人 全人类', 'Ba01A01# 取胜 胜利', 'Ca01A01= 取胜 获胜 制胜', 'Da01A01= 发布 公布 颁布', 'Ea01A01@ 独词', 'Fa01A01= 美丽 漂亮 优美', 'Ga01A01= 喜欢 喜爱 爱好'].join('\n') + '\n');
const synonyms = loadCilin(CILIN);
const sorted = (xs: string[]) => [...xs].sort();

describe('segmentation', () => {
  it('gives words that join back to the text, with POS tags', () => {
    for (const [i, t] of TEXTS.entries()) expect(joinWords(SEGMENTED[i])).toBe(t);
    expect(WORDS.find((w) => w.w === '逆转')!.pos).toBe('v');
  });
});

describe('strategies keep their invariants', () => {
  const runs = (f: (seed: number) => void) => {
    for (let s = 0; s < 40; s++) f(s);
  };
  it('UNK noise only inserts [UNK]', () =>
    runs((s) => {
      const out = unkNoise(0.3)(WORDS, new Rng(s));
      expect(out).toHaveLength(WORDS.length);
      out.forEach((w, i) => expect([WORDS[i].w, UNK]).toContain(w.w));
    }));
  it('same-POS replacement keeps the POS sequence, with words of that POS from the data', () => {
    const vocab = buildPosVocab(SEGMENTED);
    runs((s) => {
      const out = samePosReplace(0.5, vocab)(WORDS, new Rng(s));
      expect(out.map((w) => w.pos)).toEqual(WORDS.map((w) => w.pos));
      out.forEach((w, i) => w.w !== WORDS[i].w && expect(vocab.get(w.pos)).toContain(w.w));
    });
  });
  it('n-gram samples are contiguous substrings, shorter than the text', () =>
    runs((s) => {
      const text = joinWords(ngramSample(0.5)(WORDS, new Rng(s)));
      expect(TEXTS[0].includes(text)).toBe(true);
      expect(text.length).toBeLessThan(TEXTS[0].length);
    }));
  it('swap keeps the multiset of words', () => runs((s) => expect(sorted(randomSwap(2)(WORDS, new Rng(s)).map((w) => w.w))).toEqual(sorted(WORDS.map((w) => w.w)))));
  it('delete keeps an ordered, non-empty subsequence', () =>
    runs((s) => {
      const out = randomDelete(0.5)(WORDS, new Rng(s));
      expect(out.length).toBeGreaterThan(0);
      let j = 0;
      for (const w of WORDS) if (j < out.length && out[j] === w) j++;
      expect(j).toBe(out.length);
    }));
  it('Cilin replacements come from the same synonym line (= lines only)', () =>
    runs((s) => {
      const words = segment('人们喜欢美丽的风景');
      const out = synonymReplace(0.3, synonyms)(words, new Rng(s));
      expect(out).toHaveLength(words.length);
      let changed = 0;
      out.forEach((w, i) => {
        if (w.w === words[i].w) return;
        changed += 1;
        const lines = synonyms.get(words[i].w)!;
        expect(lines.some((line) => line.includes(w.w))).toBe(true);
      });
      expect(changed).toBeGreaterThan(0);
    }));
  it('random insertion adds one synonym of a word already there', () =>
    runs((s) => {
      const words = segment('人们喜欢美丽的风景');
      const out = randomInsert(1, synonyms)(words, new Rng(s));
      expect(out).toHaveLength(words.length + 1);
      const added = out.filter((w) => !words.includes(w));
      expect(added).toHaveLength(1);
      expect(words.some((w) => synonymsOf(synonyms, w.w).includes(added[0].w))).toBe(true);
    }));
});

describe('Cilin loading', () => {
  it('keeps only = lines as synonyms', () => {
    expect(synonymsOf(synonyms, '取胜').sort()).toEqual(['制胜', '获胜']);
    expect(synonyms.has('独词')).toBe(false);
  });
  it('names the file and line of a malformed line, and a missing file', () => {
    const bad = path.join(dir, 'bad.txt');
    fs.writeFileSync(bad, 'Aa01A01= 人 士\nthis is not cilin\n');
    expect(() => loadCilin(bad)).toThrow(`${bad}:2: not a Cilin line`);
    expect(() => loadCilin(path.join(dir, 'missing.txt'))).toThrow(/missing\.txt: file not found/);
  });
});

describe('augmenting a dataset', () => {
  const rows = TEXTS.map((text, i) => ({ id: `r${i}`, text, label: i % 2 }));
  const strategies = { unk: { p: 0.2 }, pos: { p: 0.3 }, ngram: { min_ratio: 0.5 }, synonym: { p: 0.2 }, insert: { n: 1 }, swap: { n: 1 }, delete: { p: 0.2 } };
  const ctx = { posVocab: buildPosVocab(SEGMENTED), synonyms };

  it('keeps every original first, then distinct variants carrying their origin and label', () => {
    const { rows: out, stats } = mergeCandidates(rows, candidatesFor(SEGMENTED, 0, strategies, ctx, 7, 1), Object.keys(strategies));
    expect(out.slice(0, rows.length).every((r) => r.strategy === 'original')).toBe(true);
    expect(new Set(out.map((r) => r.text)).size).toBe(out.length);
    for (const r of out.slice(rows.length)) expect(r.label).toBe(rows.find((o) => o.id === r.origin_id)!.label);
    expect(Object.values(stats.produced).reduce((a, b) => a + b, 0) + stats.duplicates_rejected).toBe(rows.length * 7);
    expect(Object.values(stats.produced).every((n) => n > 0)).toBe(true);
  });

  it('is deterministic for a seed, and the same with worker threads', async () => {
    const serial = candidatesFor(SEGMENTED, 0, strategies, ctx, 4, 9);
    expect(candidatesFor(SEGMENTED, 0, strategies, ctx, 4, 9)).toEqual(serial);
    expect(await candidatesParallel(SEGMENTED, strategies, ctx, 4, 9, 3)).toEqual(serial);
    expect(candidatesFor(SEGMENTED, 0, strategies, ctx, 4, 10)).not.toEqual(serial);
  });

  it('measures edits as Levenshtein distance over code points', () => {
    expect(editDistance('国足取胜', '国足获胜')).toBe(1);
    expect(editDistance('', '😀a')).toBe(2);
  });
});
