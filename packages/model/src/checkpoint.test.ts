import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { f32, readSafetensors, writeSafetensors } from '@distill/core';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { Encoder, type EncoderConfig } from './encoder';

const CONFIG: EncoderConfig = {
  vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12, maxPositions: 10,
  typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 3, hiddenDropout: 0.1, attentionDropout: 0.1, initializerRange: 0.02, mlmHead: false,
};
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'abcdefghijklmno'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function logitsOf(enc: Encoder): number[] {
  return tf.tidy(() => Array.from(enc.forward({ inputIds: tf.tensor2d([[2, 7, 9, 3]], [1, 4], 'int32'), attentionMask: tf.ones([1, 4], 'int32') as tf.Tensor2D }).logits!.dataSync()));
}

describe('checkpoints', () => {
  it('round-trips weights, labels and vocabulary in the Hugging Face layout', () => {
    const dir = tmp();
    const enc = Encoder.create(CONFIG, 5);
    saveCheckpoint(dir, enc, ['x', 'y', 'z'], VOCAB);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'bert', hidden_size: 8, num_hidden_layers: 1, architectures: ['BertForSequenceClassification'], id2label: { 0: 'x', 1: 'y', 2: 'z' } });
    // PyTorch layout: Linear weights are [out, in]
    const { tensors } = readSafetensors(path.join(dir, 'model.safetensors'));
    expect(tensors.get('bert.encoder.layer.0.intermediate.dense.weight')!.shape).toEqual([12, 8]);
    expect(tensors.get('classifier.weight')!.shape).toEqual([3, 8]);
    const back = loadCheckpoint(dir);
    expect(back.labels).toEqual(['x', 'y', 'z']);
    expect(back.vocab).toEqual(VOCAB);
    const a = logitsOf(enc);
    logitsOf(back.encoder).forEach((v, i) => expect(v).toBeCloseTo(a[i], 6));
  });

  it('loads a BertModel-style checkpoint (no bert. prefix, gamma/beta names) with a fresh classifier', () => {
    const dir = tmp();
    const src = Encoder.create({ ...CONFIG, numLabels: 0 }, 6);
    saveCheckpoint(dir, src, [], VOCAB);
    const { tensors } = readSafetensors(path.join(dir, 'model.safetensors'));
    const renamed = new Map([...tensors].map(([k, v]) => [k.replace(/^bert\./, '').replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'), v]));
    writeSafetensors(path.join(dir, 'model.safetensors'), renamed);
    const loaded = loadCheckpoint(dir, { numLabels: 4 });
    expect(loaded.encoder.config.numLabels).toBe(4);
    const w = loaded.encoder.params.get('bert.embeddings.LayerNorm.weight')!.dataSync();
    expect(Array.from(w)).toEqual(Array.from(src.params.get('bert.embeddings.LayerNorm.weight')!.dataSync()));
  });

  it('names a missing tensor', () => {
    const dir = tmp();
    saveCheckpoint(dir, Encoder.create(CONFIG, 7), ['x', 'y', 'z'], VOCAB);
    const { tensors } = readSafetensors(path.join(dir, 'model.safetensors'));
    tensors.delete('bert.encoder.layer.0.attention.self.value.bias');
    writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
    expect(() => loadCheckpoint(dir)).toThrow(/missing tensor 'bert\.encoder\.layer\.0\.attention\.self\.value\.bias'/);
  });

  it('names a tensor whose shape disagrees with config.json', () => {
    const dir = tmp();
    saveCheckpoint(dir, Encoder.create(CONFIG, 8), ['x', 'y', 'z'], VOCAB);
    const { tensors } = readSafetensors(path.join(dir, 'model.safetensors'));
    tensors.set('bert.pooler.dense.bias', f32([7], new Float32Array(7)));
    writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
    expect(() => loadCheckpoint(dir)).toThrow(/tensor 'bert\.pooler\.dense\.bias' has shape \[7\], config\.json implies \[8\]/);
  });
});
