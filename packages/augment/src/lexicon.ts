/**
 * The Cilin thesaurus (HIT Tongyici Cilin, extended): lines `Aa01A01= 人 士 人物`, an 8-character code whose last
 * character is `=` (synonyms), `#` (related words) or `@` (a word alone). Only `=` lines give synonyms.
 */
import { readLines } from '@distill/core';

/** word → the synonym lines (as word lists) it belongs to */
export type Synonyms = Map<string, string[][]>;

const LINE = /^([A-Za-z]{2}\d{2}[A-Za-z]\d{2})([=#@])\s*(.*)$/;

export function loadCilin(file: string): Synonyms {
  const synonyms: Synonyms = new Map();
  let groups = 0;
  readLines(file).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = LINE.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: not a Cilin line (expected e.g. 'Aa01A01= 人 士 人物'): ${line.slice(0, 40)}`);
    if (m[2] !== '=') return;
    const words = [...new Set(m[3].split(/\s+/).filter(Boolean))];
    if (words.length < 2) return;
    groups += 1;
    for (const w of words) {
      const list = synonyms.get(w);
      if (list) list.push(words);
      else synonyms.set(w, [words]);
    }
  });
  if (!groups) throw new Error(`${file}: no synonym lines ('=') found — is this a Cilin file?`);
  return synonyms;
}

/** The synonyms of `word` other than itself, across all its lines. */
export function synonymsOf(synonyms: Synonyms, word: string): string[] {
  const groups = synonyms.get(word);
  if (!groups) return [];
  return [...new Set(groups.flat())].filter((w) => w !== word);
}
