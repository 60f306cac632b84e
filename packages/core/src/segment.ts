/** Word segmentation and part-of-speech tags from jieba (jieba-rs compiled to wasm, dictionary included): used by augmentation and by whole-word masking. */
import { tag } from 'jieba-wasm';

export interface Word {
  w: string;
  pos: string;
}

/** Words of `text`, in order; joined, they give the text back. */
export function segment(text: string): Word[] {
  return tag(text, true).map((t) => ({ w: t.word, pos: t.tag }));
}

export function joinWords(words: readonly Word[]): string {
  return words.map((x) => x.w).join('');
}

/** Part of speech → the distinct words tagged with it in `texts` (sorted), for same-POS replacement. */
export type PosVocab = Map<string, string[]>;

/** Tags that are never replaced: punctuation and other non-words (x), numerals (m), English (eng). */
export const FIXED_POS = new Set(['x', 'm', 'eng']);

export function buildPosVocab(segmented: readonly (readonly Word[])[]): PosVocab {
  const sets = new Map<string, Set<string>>();
  for (const words of segmented) {
    for (const { w, pos } of words) {
      if (FIXED_POS.has(pos)) continue;
      let s = sets.get(pos);
      if (!s) sets.set(pos, (s = new Set()));
      s.add(w);
    }
  }
  return new Map([...sets].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([pos, s]) => [pos, [...s].sort()]));
}
