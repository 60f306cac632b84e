/**
 * Our WordPiece tokenizer against the Hugging Face reference implementation (@huggingface/tokenizers) loading the
 * `tokenizer.json` we write (hf-tokenizer.ts), on the same vocabulary: hand-picked texts, Hugging Face's edge cases and
 * a few hundred random strings, in each mode (lower-cased or cased, NFKC or none).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { hfTokenizerConfig, hfTokenizerJson, loadTokenizer, writeTokenizerFiles, type TokenizerSpec } from './hf-tokenizer';
import { Rng } from './rng';
import { applyNormalization } from './text';
import { WordPieceTokenizer } from './tokenizer';

const VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  '新', '闻', '标', '题', '的', '主', '是', '体', '育', '中', '国', '队', '赢', '了', '，', '！', '？', '。', '：', '、', '“', '”', '《', '》', '（', '）',
  'play', '##ing', '##er', '##s', 'nba', 'iphone', '##1', '##2', '1', '2', '3', '##3', '##0', '0', '5', '##g', 'g', 'a', '##b', '##c', 'ａ', '##ｂ',
  ',', '.', '!', '?', '-', '%', '@', 'cafe', '##e', 'u', '##n', 'x', '##x', 'b', 'é', 'e', '##é', 'ab', 'A', 'B', '##B', 'Ａ', 'Play', '𠀀', 'ﬁ', 'fi',
];

const TEXTS = [
  '新闻标题的主题是体育',
  '中国队赢了！',
  '《新闻》：“体育”、中国（队）。',
  'Playing NBA players',
  'iPhone12 5G，123',
  '2020年中国队',
  '体育😀新闻🎉',
  'Café  naïve',
  'ＡＢ full-width ａｂ',
  '100% @nba -x-',
  '\t新\u0000闻\u200b 体\u3000育',
  'unknowable 未知字 ᚠᚢ',
  '',
  '   ',
  '国[UNK]队赢了[MASK][MASK]。',
];

/** Hugging Face's BertTokenizer behaviour that ours once missed, with the tokens it gives (lower-cased mode). */
const EDGE_CASES: [string, string, string[]][] = [
  ['private-use code points are dropped', 'a\uE000b', ['ab']],
  ['unassigned code points are dropped', 'a\u0378b', ['ab']],
  ['U+2028 and U+2029 split words', 'a\u2028b\u2029a', ['a', 'b', 'a']],
  ['a supplementary-plane CJK character is a word of its own', '中𠀀国', ['中', '𠀀', '国']],
];

const POOL = [
  ...'新闻标题的主题是体育中国队赢了未知字', ...'，！？。：、“”《》（）', ...'abcegnxABCEGNX0123 ', ...'ａｂＡＢ１２', 'é', 'e\u0301', 'ﬁ',
  '\t', '\n', '\u00a0', '\u3000', '\u2028', '\u2029', '\u200b', '\u202e', '\u0007', '\uE000', '\u0378', '😀', '𠀀', '[MASK]', '[UNK]', 'play', 'nba', 'iphone', 'ing',
];

function randomTexts(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: 1 + rng.int(14) }, () => rng.pick(POOL)).join(''));
}

const MODES: TokenizerSpec[] = [
  { lowerCase: true, normalization: 'none', maxLength: 512 },
  { lowerCase: false, normalization: 'none', maxLength: 512 },
  { lowerCase: true, normalization: 'nfkc', maxLength: 512 },
  { lowerCase: false, normalization: 'nfkc', maxLength: 512 },
];

describe.each(MODES.map((m) => [`lower_case ${m.lowerCase}, normalization ${m.normalization}`, m] as const))('our tokenizer.json in @huggingface/tokenizers (%s)', (_name, spec) => {
  const ours = new WordPieceTokenizer(VOCAB, { lowerCase: spec.lowerCase });
  const ref = new Tokenizer(hfTokenizerJson(VOCAB, spec) as never, hfTokenizerConfig(spec) as never);
  const encode = (text: string) => ours.encode(applyNormalization(text, spec.normalization), spec.maxLength).ids;
  it.each(TEXTS.map((t) => [JSON.stringify(t), t]))('gives our ids for %s', (_label, text) => {
    expect(ref.encode(text).ids).toEqual(encode(text));
  });
  it('gives our ids for 300 random strings', () => {
    const texts = randomTexts(300, 7);
    const differ = texts.filter((t) => JSON.stringify(ref.encode(t).ids) !== JSON.stringify(encode(t)));
    expect(differ.map((t) => JSON.stringify(t))).toEqual([]);
  });
  it('gives our ids for the edge cases', () => {
    for (const [, text] of EDGE_CASES) expect(ref.encode(text).ids).toEqual(encode(text));
  });
});

describe('WordPiece tokenizer', () => {
  const ours = new WordPieceTokenizer(VOCAB);
  it('is not trivially equal to the reference: the table exercises WordPiece splits and unknown pieces', () => {
    expect(ours.tokenize('Playing NBA players')).toEqual(['play', '##ing', 'nba', 'play', '##er', '##s']);
    expect(ours.tokenize('iPhone12 5G，123')).toEqual(['iphone', '##1', '##2', '5', '##g', '，', '1', '##2', '##3']);
    expect(ours.tokenize('体育😀新闻')).toEqual(['体', '育', '[UNK]', '新', '闻']);
  });
  it.each(EDGE_CASES)('matches BertTokenizer: %s', (_name, text, tokens) => {
    expect(ours.tokenize(text)).toEqual(tokens);
  });
  it('composes (NFC) in cased mode, as BertTokenizer does: e + U+0301 is the vocabulary token é', () => {
    expect(new WordPieceTokenizer(VOCAB, { lowerCase: false }).tokenize('e\u0301')).toEqual(['é']);
  });
  it('NFKC turns full-width and compatibility characters into their plain forms', () => {
    const cased = new WordPieceTokenizer(VOCAB, { lowerCase: false });
    expect(cased.tokenize(applyNormalization('ＡＢ ﬁ', 'nfkc'))).toEqual(['A', '##B', 'fi']);
    expect(cased.tokenize('ＡＢ ﬁ')).toEqual(['[UNK]', 'ﬁ']); // Ａ then no ##Ｂ: the whole word is unknown
  });
});

describe('tokenizer files', () => {
  it('round-trip: the settings written are the settings read, and the vocabulary is the same', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-files-'));
    const spec: TokenizerSpec = { lowerCase: false, normalization: 'nfkc', maxLength: 64 };
    writeTokenizerFiles(dir, VOCAB, spec);
    const { tokenizer, spec: read } = loadTokenizer(dir);
    expect(read).toEqual(spec);
    expect(tokenizer.vocab).toEqual(VOCAB);
    expect(tokenizer.lowerCase).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'special_tokens_map.json'), 'utf8')).mask_token).toBe('[MASK]');
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({ tokenizer_class: 'BertTokenizer', do_lower_case: false, model_max_length: 64, text_normalization: 'nfkc' });
  });
  it('refuses an unknown normalization, naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-files-'));
    writeTokenizerFiles(dir, VOCAB, { lowerCase: true, normalization: 'none', maxLength: 32 });
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, text_normalization: 'nfd' }));
    expect(() => loadTokenizer(dir)).toThrow(/tokenizer_config\.json: text_normalization: unknown text normalization "nfd"/);
  });
});
