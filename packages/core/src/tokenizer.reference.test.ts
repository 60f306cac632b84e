/**
 * Our WordPiece tokenizer against the Hugging Face reference implementation (@huggingface/tokenizers, configured as
 * bert-base-chinese's BertTokenizerFast: BertNormalizer + BertPreTokenizer + WordPiece) on the same vocabulary.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { WordPieceTokenizer } from './tokenizer';

const VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  '新', '闻', '标', '题', '的', '主', '是', '体', '育', '中', '国', '队', '赢', '了', '，', '！', '？', '。', '：', '、', '“', '”', '《', '》', '（', '）',
  'play', '##ing', '##er', '##s', 'nba', 'iphone', '##1', '##2', '1', '2', '3', '##3', '##0', '0', '5', '##g', 'g', 'a', '##b', '##c', 'ａ', '##ｂ',
  ',', '.', '!', '?', '-', '%', '@', 'cafe', '##e', 'u', '##n', 'x', '##x',
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

function reference(): Tokenizer {
  const vocab = Object.fromEntries(VOCAB.map((t, i) => [t, i]));
  const special = (content: string) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
  const config = { do_lower_case: true, tokenizer_class: 'BertTokenizer', unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', mask_token: '[MASK]', model_max_length: 512 };
  return new Tokenizer(tokenizerJson as never, config as never);
}

describe('WordPiece tokenizer vs the Hugging Face reference', () => {
  const ours = new WordPieceTokenizer(VOCAB);
  const ref = reference();
  it.each(TEXTS.map((t) => [JSON.stringify(t), t]))('gives the same ids for %s', (_label, text) => {
    expect(ours.encode(text, 512).ids).toEqual(ref.encode(text).ids);
  });
  it('is not trivially equal: the table exercises WordPiece splits and unknown pieces', () => {
    expect(ours.tokenize('Playing NBA players')).toEqual(['play', '##ing', 'nba', 'play', '##er', '##s']);
    expect(ours.tokenize('iPhone12 5G，123')).toEqual(['iphone', '##1', '##2', '5', '##g', '，', '1', '##2', '##3']);
    expect(ours.tokenize('体育😀新闻')).toEqual(['体', '育', '[UNK]', '新', '闻']);
  });
});
