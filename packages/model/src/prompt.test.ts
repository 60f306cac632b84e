import * as tf from '@tensorflow/tfjs';
import { WordPieceTokenizer, createLogger } from '@distill/core';
import { encodeAll, padBatch } from './batching';
import { Encoder, initPrefix, prefixFrom, type EncoderConfig } from './encoder';
import { classifierHead, prefixHead, batchTensors } from './inference';
import { logSoftmax, crossEntropy } from './losses';
import { buildVerbalizer, clozeLogits, promptHead } from './prompt';
import { classifierTask } from './classifier-task';
import { DEFAULT_TRAINING, train } from './trainer';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '体', '育', '财', '经', '主', '题', '是', '：', '球', '赛', '股', '市'];
const tok = new WordPieceTokenizer(VOCAB);
const CONFIG: EncoderConfig = { vocabSize: VOCAB.length, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 32, maxPositions: 24, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 2, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.3, mlmHead: true };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('prompt (cloze + verbalizer)', () => {
  it('checks the template and verbalizers, naming the label or word', () => {
    expect(buildVerbalizer('主题是[MASK][MASK]：{text}', ['体育', '财经'], ['sports', 'finance'], tok).ids).toEqual([[5, 6], [7, 8]]);
    expect(() => buildVerbalizer('主题是[MASK]：{text}', ['体育', '财经'], ['sports', 'finance'], tok)).toThrow("verbalizer '体育' of label 'sports' has 2 characters; the template has 1 [MASK] slots");
    expect(() => buildVerbalizer('[MASK][MASK]{text}', ['体育', undefined], ['sports', 'finance'], tok)).toThrow("label 'finance' has no verbalizer word");
    expect(() => buildVerbalizer('[MASK][MASK]{text}', ['体育', '科技'], ['sports', 'tech'], tok)).toThrow("verbalizer '科技' of label 'tech': '科' is not in the vocabulary");
    expect(() => buildVerbalizer('[MASK][MASK]', ['体育'], ['sports'], tok)).toThrow('has no {text}');
  });

  it('scores a label as the summed MLM log-probabilities of its word at the slots', () => {
    const enc = Encoder.create({ ...CONFIG, numLabels: 0 }, 3);
    const v = buildVerbalizer('主题是[MASK][MASK]：{text}', ['体育', '财经'], ['sports', 'finance'], tok);
    const head = promptHead(enc, v, tok.maskId);
    const batch = padBatch(encodeAll(tok, ['球赛', '股市'].map(head.prepare), 24), tok.padId);
    tf.tidy(() => {
      const scores = clozeLogits(enc, batch, v, tok.maskId).arraySync();
      // by hand: MLM log-softmax at the two [MASK] positions (row r: positions 4 and 5 after [CLS] 主 题 是)
      const seq = enc.forward(batchTensors(batch)).sequence;
      const flat = [4, 5, batch.seq + 4, batch.seq + 5];
      const logp = logSoftmax(enc.mlmLogits(seq, tf.tensor1d(flat, 'int32'))).arraySync() as number[][];
      for (let r = 0; r < 2; r++) {
        expect(scores[r][0]).toBeCloseTo(logp[2 * r][5] + logp[2 * r + 1][6], 4);
        expect(scores[r][1]).toBeCloseTo(logp[2 * r][7] + logp[2 * r + 1][8], 4);
      }
    });
    enc.dispose();
  });
});

describe('prefix tuning', () => {
  it('changes the output, and trains only the prefixes and the classifier', async () => {
    const enc = Encoder.create(CONFIG, 4);
    const prefixParams = initPrefix(CONFIG, 3, 5);
    const head = prefixHead(enc, prefixFrom(prefixParams, CONFIG.numLayers));
    const rows = ['体育球赛', '财经股市', '球赛体育', '股市财经'].map((text, i) => ({ id: `${i}`, text, label: i % 2 }));
    const b = padBatch(encodeAll(tok, rows.map((r) => r.text), 24), tok.padId);
    const [plain, prefixed] = tf.tidy(() => [classifierHead(enc).logits(b, {}).arraySync(), head.logits(b, {}).arraySync()]);
    expect(plain).not.toEqual(prefixed);

    const all = new Map([...enc.params, ...prefixParams]);
    const trainable = [...prefixParams.keys(), 'classifier.weight', 'classifier.bias'];
    const frozen = new Map([...enc.params].map(([k, v]) => [k, Array.from(v.dataSync())]));
    const prefixBefore = Array.from(prefixParams.get('prefix.layer.1.value')!.dataSync());
    const task = classifierTask({ head, tokenizer: tok, train: rows, valid: [], labels: ['a', 'b'], batchSize: 4, loss: (logits, batch) => crossEntropy(logits, tf.tensor1d(batch.indices.map((i) => rows[i].label), 'int32')) });
    await train(all, trainable, task, { ...DEFAULT_TRAINING, epochs: 3, batchSize: 4, lr: 1e-2 }, createLogger('test'));
    for (const [k, v] of enc.params) {
      if (k.startsWith('classifier.')) expect(Array.from(v.dataSync())).not.toEqual(frozen.get(k));
      else expect(Array.from(v.dataSync())).toEqual(frozen.get(k));
    }
    expect(Array.from(prefixParams.get('prefix.layer.1.value')!.dataSync())).not.toEqual(prefixBefore);
    enc.dispose();
  });
});
