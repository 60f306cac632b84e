/**
 * BERT WordPiece tokenizer, the same algorithm as Hugging Face's `BertTokenizer` (BasicTokenizer + WordpieceTokenizer):
 * clean the text (every `C*` category character removed, as Python's `unicodedata.category(c).startswith("C")`), put
 * spaces around CJK characters, NFC, split on whitespace (Python's `str.split()` set, U+2028/U+2029 included) and
 * punctuation (lower-casing and stripping accents when asked), then split each word greedily into the longest
 * vocabulary pieces, `##` marking continuations.
 */
import * as fs from 'node:fs';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const SPECIAL_PATTERN = /(\[PAD\]|\[UNK\]|\[CLS\]|\[SEP\]|\[MASK\])/;

export interface TokenizerOptions {
  lowerCase?: boolean;
  maxCharsPerWord?: number;
}

// control, format, surrogate, private-use and unassigned code points
const CONTROL = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]$/u;
const SPACE = /^\p{Zs}$/u;
const PUNCT = /^\p{P}$/u;
const MARK_NONSPACING = /\p{Mn}/gu;

function isWhitespace(ch: string): boolean {
  // U+2028/U+2029 are not Zs, but Hugging Face's whitespace split (Python's str.split) cuts at them
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\u2028' || ch === '\u2029' || SPACE.test(ch);
}

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return CONTROL.test(ch);
}

function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return PUNCT.test(ch);
}

export function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** BasicTokenizer: text → words (CJK characters and punctuation each become their own word). */
export function basicTokenize(text: string, lowerCase = true): string[] {
  let cleaned = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    if (isWhitespace(ch)) cleaned += ' ';
    else if (isCjk(cp)) cleaned += ` ${ch} `;
    else cleaned += ch;
  }
  const words: string[] = [];
  for (let token of cleaned.normalize('NFC').split(' ')) {
    if (!token) continue;
    if (lowerCase) token = token.toLowerCase().normalize('NFD').replace(MARK_NONSPACING, '');
    let current = '';
    for (const ch of token) {
      if (isPunctuation(ch)) {
        if (current) words.push(current);
        words.push(ch);
        current = '';
      } else current += ch;
    }
    if (current) words.push(current);
  }
  return words;
}

export interface Encoding {
  ids: number[];
  tokens: string[];
}

export class WordPieceTokenizer {
  readonly vocab: readonly string[];
  private readonly index: Map<string, number>;
  readonly lowerCase: boolean;
  readonly maxCharsPerWord: number;
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;

  constructor(vocab: readonly string[], options: TokenizerOptions = {}) {
    this.vocab = vocab;
    this.index = new Map(vocab.map((t, i) => [t, i]));
    this.lowerCase = options.lowerCase ?? true;
    this.maxCharsPerWord = options.maxCharsPerWord ?? 100;
    const need = (t: string) => {
      const id = this.index.get(t);
      if (id === undefined) throw new Error(`vocabulary has no ${t} token`);
      return id;
    };
    this.padId = need('[PAD]');
    this.unkId = need('[UNK]');
    this.clsId = need('[CLS]');
    this.sepId = need('[SEP]');
    this.maskId = need('[MASK]');
  }

  /** Reads a `vocab.txt` (one token a line, the line number is the id). */
  static fromFile(file: string, options: TokenizerOptions = {}): WordPieceTokenizer {
    if (!fs.existsSync(file)) throw new Error(`${file}: vocabulary file not found`);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    try {
      return new WordPieceTokenizer(lines.map((l) => l.replace(/\r$/, '')), options);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
  }

  get size(): number {
    return this.vocab.length;
  }

  idOf(token: string): number | undefined {
    return this.index.get(token);
  }

  /** WordPiece split of one word from the basic tokenizer. */
  wordPieces(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > this.maxCharsPerWord) return ['[UNK]'];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | null = null;
      while (start < end) {
        let sub = chars.slice(start, end).join('');
        if (start > 0) sub = '##' + sub;
        if (this.index.has(sub)) {
          found = sub;
          break;
        }
        end -= 1;
      }
      if (found === null) return ['[UNK]'];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }

  /** Special tokens written in the text (e.g. `[UNK]`, `[MASK]` from augmentation) stay whole, as in Hugging Face's. */
  tokenize(text: string): string[] {
    return text
      .split(SPECIAL_PATTERN)
      .flatMap((part, i) => (i % 2 === 1 ? [part] : basicTokenize(part, this.lowerCase).flatMap((w) => this.wordPieces(w))));
  }

  /** `[CLS] tokens [SEP]`, truncated so that the whole is at most `maxLength` ids. */
  encode(text: string, maxLength: number): Encoding {
    const tokens = this.tokenize(text).slice(0, Math.max(0, maxLength - 2));
    const all = ['[CLS]', ...tokens, '[SEP]'];
    return { tokens: all, ids: all.map((t) => this.index.get(t) ?? this.unkId) };
  }
}

export interface VocabOptions {
  minFrequency: number;
  maxSize: number;
  lowerCase?: boolean;
}

/**
 * Character-level WordPiece vocabulary for models trained from scratch: every character that starts a word, and every
 * continuation character as `##c`, counted over the texts; the most frequent (ties broken by code point) up to
 * `maxSize` including the special tokens.
 */
export function buildCharVocab(texts: Iterable<string>, options: VocabOptions): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const word of basicTokenize(text, options.lowerCase ?? true)) {
      let first = true;
      for (const ch of word) {
        const piece = first ? ch : '##' + ch;
        counts.set(piece, (counts.get(piece) ?? 0) + 1);
        first = false;
      }
    }
  }
  const entries = [...counts.entries()]
    .filter(([t, c]) => c >= options.minFrequency && !(SPECIAL_TOKENS as readonly string[]).includes(t))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return [...SPECIAL_TOKENS, ...entries.slice(0, Math.max(0, options.maxSize - SPECIAL_TOKENS.length)).map(([t]) => t)];
}
