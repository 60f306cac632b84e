/**
 * The tokenizer files of the Hugging Face layout, written beside every `vocab.txt` the product ships (the data stage's
 * output, checkpoints, served model directories):
 * - `tokenizer.json`: a `tokenizers` ("fast") tokenizer that encodes exactly as `WordPieceTokenizer`, the text
 *   normalisation included, so that `AutoTokenizer`, the Rust crate and `@huggingface/tokenizers` need nothing else;
 * - `tokenizer_config.json`: `BertTokenizer`'s settings (`do_lower_case` and the rest, so that transformers does not
 *   guess), plus `text_normalization`, ours, which the slow `BertTokenizer` does not apply (see docs/formats.md);
 * - `special_tokens_map.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, writeFileAtomic, writeJsonAtomic } from './fsutil';
import { parseNormalization, type Normalization } from './text';
import { SPECIAL_TOKENS, WordPieceTokenizer } from './tokenizer';

export interface TokenizerSpec {
  lowerCase: boolean;
  normalization: Normalization;
  /** the longest input in tokens, [CLS] and [SEP] included */
  maxLength: number;
}

export const TOKENIZER_FILES = ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

const SPECIAL_TOKENS_MAP = { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' };

/**
 * The normalizer steps, in `WordPieceTokenizer`'s order: the recorded normalisation, BERT's cleaning and CJK spacing,
 * NFC (the slow BertTokenizer's), then lower-casing with accent stripping. Unassigned code points are removed by an
 * explicit first step too: BERT's cleaning drops them in Python and Rust, but not in the JavaScript port.
 */
function normalizer(spec: TokenizerSpec): unknown {
  const steps: unknown[] = [{ type: 'Replace', pattern: { Regex: '\\p{Cn}' }, content: '' }];
  if (spec.normalization === 'nfkc') steps.push({ type: 'NFKC' });
  steps.push({ type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase: false });
  steps.push({ type: 'NFC' });
  if (spec.lowerCase) steps.push({ type: 'BertNormalizer', clean_text: false, handle_chinese_chars: false, strip_accents: null, lowercase: true });
  return { type: 'Sequence', normalizers: steps };
}

export function hfTokenizerJson(vocab: readonly string[], spec: TokenizerSpec): Record<string, unknown> {
  const tokenizer = new WordPieceTokenizer(vocab); // the special tokens must be there
  const ids = Object.fromEntries(vocab.map((t, i) => [t, i]));
  const special = (content: string) => ({ id: ids[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: spec.maxLength, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: [...SPECIAL_TOKENS].map(special),
    normalizer: normalizer(spec),
    pre_tokenizer: {
      type: 'Sequence',
      // CJK characters beyond U+FFFF are words of their own, as in BERT's cleaning; an explicit split because the
      // JavaScript port's CJK spacing reads UTF-16 code units and misses them (Python and Rust do not need it)
      pretokenizers: [{ type: 'Split', pattern: { Regex: '[\\x{20000}-\\x{2A6DF}\\x{2A700}-\\x{2CEAF}\\x{2F800}-\\x{2FA1F}]' }, behavior: 'Isolated', invert: false }, { type: 'BertPreTokenizer' }],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [cls, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [cls, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [tokenizer.clsId], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [tokenizer.sepId], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: tokenizer.maxCharsPerWord, vocab: ids },
  };
}

export function hfTokenizerConfig(spec: TokenizerSpec): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: spec.lowerCase,
    do_basic_tokenize: true,
    tokenize_chinese_chars: true,
    strip_accents: null,
    model_max_length: spec.maxLength,
    clean_up_tokenization_spaces: true,
    ...SPECIAL_TOKENS_MAP,
    text_normalization: spec.normalization,
  };
}

/** Writes `vocab.txt` and the three tokenizer files into `dir`. */
export function writeTokenizerFiles(dir: string, vocab: readonly string[], spec: TokenizerSpec): void {
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  writeJsonAtomic(path.join(dir, 'tokenizer.json'), hfTokenizerJson(vocab, spec));
  writeJsonAtomic(path.join(dir, 'tokenizer_config.json'), hfTokenizerConfig(spec));
  writeJsonAtomic(path.join(dir, 'special_tokens_map.json'), SPECIAL_TOKENS_MAP);
}

/** The settings in a directory's `tokenizer_config.json`; Hugging Face's defaults for what it leaves out. */
export function readTokenizerSpec(dir: string, defaults: Partial<TokenizerSpec> = {}): TokenizerSpec {
  const file = path.join(dir, 'tokenizer_config.json');
  if (!fs.existsSync(file)) throw new Error(`${file}: tokenizer settings not found (write them with writeTokenizerFiles)`);
  const raw = readJson<Record<string, unknown>>(file);
  const lower = raw.do_lower_case ?? defaults.lowerCase ?? true;
  if (typeof lower !== 'boolean') throw new Error(`${file}: do_lower_case must be true or false, got ${JSON.stringify(lower)}`);
  const max = raw.model_max_length ?? defaults.maxLength ?? 512;
  if (typeof max !== 'number' || !(max >= 2)) throw new Error(`${file}: model_max_length must be a number ≥ 2, got ${JSON.stringify(max)}`);
  return { lowerCase: lower, normalization: parseNormalization(raw.text_normalization ?? defaults.normalization, `${file}: text_normalization`), maxLength: max };
}

/** The tokenizer of a directory with `vocab.txt` and `tokenizer_config.json`. */
export function loadTokenizer(dir: string): { tokenizer: WordPieceTokenizer; spec: TokenizerSpec } {
  const spec = readTokenizerSpec(dir);
  return { tokenizer: WordPieceTokenizer.fromFile(path.join(dir, 'vocab.txt'), { lowerCase: spec.lowerCase }), spec };
}
