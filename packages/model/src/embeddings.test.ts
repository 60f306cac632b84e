import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadCharVectors, warmStartEmbeddings } from './embeddings';
import { Encoder } from './encoder';

describe('embedding warm start', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-'));
  const file = path.join(dir, 'v.f32');
  // three 4-d vectors: 新, 闻, 体 (新 and 闻 parallel, 体 opposite)
  fs.writeFileSync(file, Buffer.from(Float32Array.from([1, 2, 3, 4, 2, 4, 6, 8, -1, -2, -3, -4]).buffer));
  fs.writeFileSync(path.join(dir, 'list.json'), JSON.stringify(['新', '闻', '体']));
  fs.writeFileSync(path.join(dir, 'map.json'), JSON.stringify({ 新: 0, 闻: 1, 体: 2 }));

  it('reads vectors with a list or an object vocabulary, and names a bad file', () => {
    expect(loadCharVectors(file, path.join(dir, 'list.json'), 4).index.get('体')).toBe(2);
    expect(loadCharVectors(file, path.join(dir, 'map.json'), 4).index.get('闻')).toBe(1);
    expect(() => loadCharVectors(file, path.join(dir, 'list.json'), 5)).toThrow(/not a whole number of 5-d float32 rows/);
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ 新: 7 }));
    expect(() => loadCharVectors(file, path.join(dir, 'bad.json'), 4)).toThrow(/token '新' points at row 7/);
  });

  it('fills covered rows (## pieces by their character) at the initializer scale, preserving similarity', async () => {
    await tf.setBackend('cpu');
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '新', '##闻', '体', '球'];
    const enc = Encoder.create({ vocabSize: vocab.length, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8, maxPositions: 8, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 0, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.02, mlmHead: false }, 1);
    const before = Array.from(enc.params.get('bert.embeddings.word_embeddings.weight')!.dataSync());
    const share = warmStartEmbeddings(enc, vocab, loadCharVectors(file, path.join(dir, 'list.json'), 4), 3);
    expect(share).toBeCloseTo(3 / 9);
    const rows = enc.params.get('bert.embeddings.word_embeddings.weight')!.arraySync() as number[][];
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / Math.hypot(...a) / Math.hypot(...b);
    expect(cos(rows[5], rows[6])).toBeCloseTo(1, 4); // 新 ∥ 闻
    expect(cos(rows[5], rows[7])).toBeCloseTo(-1, 4); // 新 vs 体
    const std = Math.sqrt(rows[5].reduce((s, x) => s + x * x, 0) / 8);
    expect(std).toBeCloseTo(0.02, 3);
    expect(rows[8]).toEqual(before.slice(8 * 8, 9 * 8)); // 球 not covered: unchanged
    enc.dispose();
  });
});
