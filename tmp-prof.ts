import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import { Encoder, withWide } from '@distill/model';
import { exportEncoder, int8Precision } from '@distill/quantize';

async function main() {
  await tf.setBackend('cpu');
  const layers = Number(process.argv[2] ?? 2), ffn = Number(process.argv[3] ?? 768), heads = Number(process.argv[4] ?? 6);
  const cfg = { vocabSize: 8000, hiddenSize: 192, numLayers: layers, numHeads: heads, intermediateSize: ffn, maxPositions: 48, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 15, hiddenDropout: 0.1, attentionDropout: 0.1, initializerRange: 0.02, mlmHead: false };
  const model = withWide(Encoder.create(cfg as any, 1), { buckets: 1 << 20, maxN: 3, pooling: 'sqrt' });
  const bytes = exportEncoder(model, { flavour: 'ort', precision: int8Precision({ perChannel: false, embeddings: true, exclude: [] }) });
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', enableProfiling: process.env.PROF === '1', profileFilePrefix: '/tmp/prof/p' });
  const ids = Array.from({ length: 24 }, (_, i) => 100 + i);
  const feed = { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, 24]), attention_mask: new ort.Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, 24]) };
  for (let i = 0; i < 200; i++) await s.run(feed, ['logits']);
  const t: number[] = [];
  for (let i = 0; i < 2000; i++) { const t0 = process.hrtime.bigint(); await s.run(feed, ['logits']); t.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  t.sort((a, b) => a - b);
  console.log(`layers ${layers} ffn ${ffn} heads ${heads}: p50 ${t[1000].toFixed(3)} ms`);
  if (process.env.PROF === '1') console.log(s.endProfiling());
}
main();
