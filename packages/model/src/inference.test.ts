import * as tf from '@tensorflow/tfjs';
import { WordPieceTokenizer } from '@distill/core';
import { encodeAll, lengthSortedBatches } from './batching';
import { Encoder } from './encoder';
import { classifierHead, predictLogits } from './inference';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'天地玄黄宇宙洪荒日月盈昃辰宿列张'.split('')];
const TEXTS = ['天地玄黄宇宙洪荒', '日', '月盈昃', '辰宿列张天地', '宇宙', '洪荒日月盈昃辰宿列张', '黄'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('inference batches', () => {
  it('sorts by length, keeps every row once, and pads each batch to its own longest', () => {
    const tokenizer = new WordPieceTokenizer(VOCAB);
    const batches = lengthSortedBatches(encodeAll(tokenizer, TEXTS, 16), 3, tokenizer.padId);
    expect(batches.flatMap((b) => b.indices).sort()).toEqual(TEXTS.map((_, i) => i));
    const seqs = batches.map((b) => b.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(batches[0].seq).toBe(4); // 日, 黄, 宇宙 with [CLS] and [SEP] (in input order the first batch needs 10)
  });

  it('predictLogits returns rows in input order, equal to one text at a time', () => {
    const tokenizer = new WordPieceTokenizer(VOCAB);
    const encoder = Encoder.create({ vocabSize: VOCAB.length, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 16, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 3, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.2, mlmHead: false }, 3);
    const head = classifierHead(encoder);
    const all = predictLogits(head, tokenizer, TEXTS, 3);
    TEXTS.forEach((t, i) => {
      const one = predictLogits(head, tokenizer, [t], 1);
      one.forEach((x, j) => expect(Math.abs(all[i * 3 + j] - x)).toBeLessThan(1e-5));
    });
    encoder.dispose();
  });
});
