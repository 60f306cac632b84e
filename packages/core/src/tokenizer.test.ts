import { WordPieceTokenizer, basicTokenize, buildCharVocab } from './tokenizer';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '新', '闻', 'un', '##aff', '##able', 'hello', ',', '!', '1', '##2', '##3', '。', '？'];

describe('basicTokenize', () => {
  it('splits CJK characters and punctuation, lower-cases and strips accents', () => {
    expect(basicTokenize('新闻Hello, Café!')).toEqual(['新', '闻', 'hello', ',', 'cafe', '!']);
  });
  it('drops control characters and treats full-width space as whitespace', () => {
    expect(basicTokenize('新\u0000闻\u3000abc\tdef')).toEqual(['新', '闻', 'abc', 'def']);
  });
  it('keeps case when asked', () => {
    expect(basicTokenize('Hello', false)).toEqual(['Hello']);
  });
});

describe('WordPieceTokenizer', () => {
  const tok = new WordPieceTokenizer(VOCAB);
  it('splits words into the longest pieces, ## marking continuations', () => {
    expect(tok.tokenize('unaffable')).toEqual(['un', '##aff', '##able']);
    expect(tok.tokenize('123')).toEqual(['1', '##2', '##3']);
  });
  it('maps a word with any unknown piece to [UNK], as BERT does', () => {
    expect(tok.tokenize('unknowable 新😀')).toEqual(['[UNK]', '新', '[UNK]']);
  });
  it('encodes with [CLS]/[SEP] and truncates to maxLength', () => {
    expect(tok.encode('新闻。', 16).ids).toEqual([2, 5, 6, 16, 3]);
    expect(tok.encode('新闻新闻新闻', 4).tokens).toEqual(['[CLS]', '新', '闻', '[SEP]']);
  });
  it('keeps special tokens written in the text whole', () => {
    expect(tok.tokenize('新[UNK]闻[MASK]')).toEqual(['新', '[UNK]', '闻', '[MASK]']);
  });
  it('requires the special tokens', () => {
    expect(() => new WordPieceTokenizer(['a', 'b'])).toThrow(/\[PAD\]/);
  });
});

describe('buildCharVocab', () => {
  it('puts special tokens first, then pieces by frequency, respecting min frequency and max size', () => {
    const v = buildCharVocab(['新闻新', '新abc', 'ab'], { minFrequency: 2, maxSize: 9 });
    expect(v.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(v).toContain('新');
    expect(v).toContain('a');
    expect(v).toContain('##b');
    expect(v).not.toContain('闻');
    expect(v.length).toBeLessThanOrEqual(9);
  });
});
