import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng, segment, SPECIAL_TOKENS } from '@distill/core';
import { Encoder, saveCheckpoint } from '@distill/model';
import { strategyFor } from './candidates';
import { maskWords, mlmCandidates } from './mlm';

const TEXTS = ['国足逆转取胜亚洲杯', '央行下调房贷利率', '华为发布新款手机'];
const SEGMENTED = TEXTS.map(segment);
const CHARS = [...new Set(TEXTS.join(''))];
const VOCAB = [...SPECIAL_TOKENS, ...CHARS];

describe('masked-LM substitution', () => {
  it('masks whole Chinese words, one [MASK] per character', () => {
    const m = maskWords(SEGMENTED[0], 0.3, new Rng(1))!;
    expect(m.text.replace(/\[MASK\]/g, '?').length).toBe(TEXTS[0].length);
    expect(m.originals.length).toBe((m.text.match(/\[MASK\]/g) ?? []).length);
    expect(maskWords(segment('2024，OK！'), 0.5, new Rng(1))).toBeNull();
  });

  it('fills only masked characters, from the vocabulary, in the mlm turns of the round robin', async () => {
    await tf.setBackend('cpu');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-'));
    const enc = Encoder.create({ vocabSize: VOCAB.length, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 32, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 0, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.5, mlmHead: true }, 4);
    saveCheckpoint(dir, enc, [], VOCAB);
    enc.dispose();
    const out = await mlmCandidates(dir, SEGMENTED, { p: 0.3, top_k: 3 }, 4, 7, 'cpu', 2);
    out.forEach((cands, i) => {
      const turns = [0, 1, 2, 3].filter((k) => strategyFor(i, k, 3) === 2).length;
      expect(cands).toHaveLength(turns);
      for (const c of cands) {
        expect(c.strategy).toBe('mlm');
        const a = Array.from(TEXTS[i]);
        const b = Array.from(c.text);
        expect(b).toHaveLength(a.length);
        b.forEach((ch) => expect(CHARS).toContain(ch));
      }
    });
    // deterministic for a seed
    expect(await mlmCandidates(dir, SEGMENTED, { p: 0.3, top_k: 3 }, 4, 7, 'cpu', 2)).toEqual(out);
  });

  it('names a checkpoint without an MLM head', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nomlm-'));
    const enc = Encoder.create({ vocabSize: VOCAB.length, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8, maxPositions: 16, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 2, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.02, mlmHead: false }, 4);
    saveCheckpoint(dir, enc, ['a', 'b'], VOCAB);
    enc.dispose();
    await expect(mlmCandidates(dir, SEGMENTED, { p: 0.3, top_k: 3 }, 2, 7, 'cpu', 1)).rejects.toThrow(/needs a checkpoint with an MLM head/);
  });
});
