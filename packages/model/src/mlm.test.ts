import * as tf from '@tensorflow/tfjs';
import { Rng, WordPieceTokenizer, createLogger } from '@distill/core';
import { Encoder } from './encoder';
import { groupTokens, maskGroups, mlmTask, type MaskOptions } from './mlm';
import { DEFAULT_TRAINING, train } from './trainer';

const OPTS: MaskOptions = { probability: 0.15, maxLength: 64, maskId: 4, padId: 0, clsId: 2, sepId: 3, vocabSize: 100, firstRegularId: 5 };

describe('masking for MLM', () => {
  const groups = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? [10 + i, 50 + i] : [10 + i]));
  const flat = groups.flat();

  it('masks about 15% of the tokens, never [CLS]/[SEP], with the original tokens as targets', () => {
    const ex = maskGroups(groups, new Rng(1), OPTS);
    expect(ex.ids).toHaveLength(flat.length + 2);
    expect(ex.ids[0]).toBe(2);
    expect(ex.ids[ex.ids.length - 1]).toBe(3);
    expect(Math.abs(ex.positions.length - 0.15 * flat.length)).toBeLessThanOrEqual(2);
    ex.positions.forEach((p, j) => expect(ex.targets[j]).toBe(flat[p - 1]));
  });

  it('masks whole words: both tokens of a two-token word, or neither', () => {
    for (let s = 0; s < 50; s++) {
      const ex = maskGroups(groups, new Rng(s), OPTS);
      const masked = new Set(ex.positions);
      let pos = 1;
      for (const g of groups) {
        const inWord = g.map((_, j) => masked.has(pos + j));
        expect(new Set(inWord).size).toBe(1);
        pos += g.length;
      }
    }
  });

  it('replaces 80% with [MASK], 10% with a random token, keeps 10%', () => {
    const counts = { mask: 0, random: 0, same: 0 };
    for (let s = 0; s < 400; s++) {
      const ex = maskGroups(flat.map((t) => [t]), new Rng(s), OPTS);
      ex.positions.forEach((p, j) => {
        if (ex.ids[p] === OPTS.maskId) counts.mask++;
        else if (ex.ids[p] === ex.targets[j]) counts.same++;
        else counts.random++;
      });
    }
    const n = counts.mask + counts.random + counts.same;
    expect(counts.mask / n).toBeCloseTo(0.8, 1);
    expect(counts.random / n).toBeGreaterThan(0.05);
    expect(counts.same / n).toBeGreaterThan(0.05);
  });

  it('groups tokens by word, or one group per token', () => {
    const tok = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '新', '闻', '体', '育']);
    expect(groupTokens(tok, ['新闻', '体育'], true)).toEqual([[5, 6], [7, 8]]);
    expect(groupTokens(tok, ['新闻', '体育'], false)).toEqual([[5], [6], [7], [8]]);
  });
});

describe('mlmTask', () => {
  it('learns to predict masked tokens of a repetitive corpus', async () => {
    await tf.setBackend('cpu');
    const enc = Encoder.create({ vocabSize: 12, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 12, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 0, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.02, mlmHead: true }, 1);
    // sequences 5 6 7 8 9 10 11 in order: every token is predictable from its neighbours
    const corpus = Array.from({ length: 48 }, () => [5, 6, 7, 8, 9, 10, 11].map((t) => [t]));
    const task = mlmTask({ encoder: enc, groups: corpus, valid: corpus.slice(0, 16), mask: { ...OPTS, vocabSize: 12 }, batchSize: 16, seed: 1 });
    const before = task.evaluate!().mlm_accuracy;
    const result = await train(enc.params, [...enc.params.keys()], task, { ...DEFAULT_TRAINING, epochs: 20, batchSize: 16, lr: 1e-2, weightDecay: 0 }, createLogger('test'));
    expect(result.best!.mlm_accuracy).toBeGreaterThan(Math.max(0.5, before + 0.3));
    enc.dispose();
  });
});
