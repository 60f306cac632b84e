import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDataset, readLogits, runStage, smokeWorkspace } from '@distill/core';
import { loadCheckpoint } from '@distill/model';
import { onnxLogits, parity } from './evaluate';
import { exportEncoder } from './export';
import { dataStage } from '@distill/data';
import { teacherStage } from '@distill/teacher';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { OnnxClassifier } from '@distill/runtime';
import { parse } from 'yaml';
import { onnxTypes } from './onnx/onnx-proto';
import { quantizeStage } from './stage';

function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnxTypes().ModelProto.decode(bytes) as unknown as { metadata_props: { key: string; value: string }[] };
  return Object.fromEntries(model.metadata_props.map((p) => [p.key, p.value]));
}

function workspace(): string {
  return smokeWorkspace(
    `  teacher:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, naive_bayes: { enabled: false }, model: { hidden_size: 32, layers: 2, heads: 4, intermediate_size: 64, max_length: 24 }, training: { epochs: 2, batch_size: 16, lr: 0.003 } }
  static:
    uses: quantize
    inputs: { data: data, teacher: teacher }
    params: { flavour: ort, max_accuracy_drop: 100, int8: { mode: static, per_channel: true, calibration: { method: percentile, percentile: 99.9, rows: 40 } } }
  dynamic:
    uses: quantize
    inputs: { data: data, teacher: teacher }
    params: { max_accuracy_drop: 100 }
  prefix:
    uses: teacher
    inputs: { data: data, pretrained: teacher }
    params: { mode: prefix, prefix_length: 4, init: { input: pretrained }, naive_bayes: { enabled: false }, training: { epochs: 2, batch_size: 16, lr: 0.05 } }
  prefixq:
    uses: quantize
    inputs: { data: data, teacher: prefix }
    params: { flavour: ort, max_accuracy_drop: 100 }
`,
  );
}

const report = (root: string, stage: string) => JSON.parse(fs.readFileSync(path.join(root, 'artifacts', 'p', stage, 'quantize-report.json'), 'utf8')).teacher;

describe('quantize stage', () => {
  it('exports both flavours, checks parity, and quantizes statically (calibrated QDQ) or dynamically', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'teacher', root);
    await runStage(quantizeStage, 'p.yaml', 'static', root);
    await runStage(quantizeStage, 'p.yaml', 'dynamic', root);

    const st = report(root, 'static');
    expect(st.flavour).toBe('ort');
    expect(st.fp32.parity.max_abs_diff).toBeLessThan(1e-4);
    expect(st.fp32.ops['com.microsoft:MultiHeadAttention']).toBe(2);
    expect(st.int8.mode).toBe('static');
    expect(Object.keys(st.int8.calibration.ranges)).toHaveLength(2 + 6 * 2);
    expect(st.int8.ops.QuantizeLinear).toBeGreaterThan(0);
    expect(st.int8.ort_optimized_ops['com.microsoft:MatMulIntegerToFloat']).toBeGreaterThan(0);
    expect(st.int8.size_ratio).toBeLessThan(1);

    const dy = report(root, 'dynamic');
    expect(dy.flavour).toBe('portable');
    expect(dy.fp32.parity.max_abs_diff).toBeLessThan(1e-4);
    expect(dy.fp32.ort_optimized_ops['com.microsoft:SkipLayerNormalization']).toBe(4);
    expect(dy.int8.mode).toBe('dynamic');
    expect(dy.int8.calibration).toBeNull();
    expect(dy.int8.ops.DynamicQuantizeLinear).toBeGreaterThan(0);
    // nothing temporary left beside the models
    const dir = path.join(root, 'artifacts', 'p', 'static', 'teacher');
    expect(fs.readdirSync(dir).sort()).toEqual(['README.md', 'labels.json', 'model.int8.onnx', 'model.onnx', 'serving.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    // the model card: Hugging Face's front matter with the model-index, valid scores with their intervals, how it was made
    const card = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    const front = parse(card.split('---\n')[1]);
    const acc = (100 * st.int8.valid_accuracy).toFixed(2);
    expect(front).toMatchObject({ language: ['zh'], pipeline_tag: 'text-classification', 'model-index': [{ name: 'p-teacher' }] });
    expect(front['model-index'][0].results[1].metrics[0]).toMatchObject({ type: 'accuracy', value: Number(acc) });
    expect(card).toMatch(new RegExp(`\\| \`model\\.int8\\.onnx\` \\| INT8 \\| [\\d.]+ MB \\| ${acc.replace('.', '\\.')} \\[[\\d.]+, [\\d.]+\\] \\|`));
    expect(card).toMatch(/stage `teacher` \(`teacher`\)/);
    expect(card).toMatch(/Text normalisation: NFKC/);
    // what a user of the .onnx file alone needs is in its metadata
    const session = await ort.InferenceSession.create(path.join(dir, 'model.int8.onnx'));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'serving.json'), 'utf8'))).toEqual({ max_length: 24, lower_case: true, normalization: 'nfkc' });
    const meta = onnxMetadata(fs.readFileSync(path.join(dir, 'model.int8.onnx')));
    expect(meta).toMatchObject({ max_length: '24', do_lower_case: 'true', text_normalization: 'nfkc', tokenizer: 'tokenizer.json' });
    expect(JSON.parse(meta.labels)).toHaveLength(5);
    await session.release();
    // the model directory's tokenizer.json, in Hugging Face's own JavaScript tokenizers, encodes as the runtime does
    const hf = new Tokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')));
    const clf = await OnnxClassifier.load(path.join(dir, 'model.int8.onnx'));
    const texts = [...fs.readFileSync(path.join(root, 'data', 'test.tsv'), 'utf8').split('\n').map((l) => l.split('\t')[0]), 'ＮＢＡ：国足？', '体育\u200b新闻\u2028Café'];
    // the JavaScript port ignores tokenizer.json's truncation (Python and Rust apply it): cut its ids as they would
    const cut = (ids: number[]) => (ids.length <= 24 ? ids : [...ids.slice(0, 23), ids[ids.length - 1]]);
    for (const t of texts) expect(cut(hf.encode(t).ids)).toEqual(clf.encode(t));
    expect(clf.encode('字'.repeat(100))).toHaveLength(24);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).truncation).toMatchObject({ max_length: 24 });
    await clf.dispose();
  }, 120_000);

  it('ships a prefix-tuned teacher: the prefix folded into the graph, FP32 parity with tfjs within 1e-4, served like any other model', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'teacher', root);
    await runStage(teacherStage, 'p.yaml', 'prefix', root);
    await runStage(quantizeStage, 'p.yaml', 'prefixq', root); // fails if parity is above parity_tolerance (1e-4)
    const r = report(root, 'prefixq');
    expect(r).toMatchObject({ flavour: 'portable', prefix_length: 4 });
    expect(r.fp32.parity.max_abs_diff).toBeLessThanOrEqual(1e-4);
    expect(r.params_by_part.prefix).toBe(2 * 2 * 4 * 32);
    // the prefix matters: the same encoder exported without it is far from the prefix-tuned logits
    const ckpt = path.join(root, 'artifacts', 'p', 'prefix', 'checkpoint');
    const { encoder } = loadCheckpoint(ckpt);
    const bare = path.join(root, 'bare.onnx');
    const dir = path.join(root, 'artifacts', 'p', 'prefixq', 'teacher');
    fs.writeFileSync(bare, exportEncoder(encoder, { labels: JSON.parse(fs.readFileSync(path.join(dir, 'labels.json'), 'utf8')) }));
    for (const f of ['vocab.txt', 'labels.json', 'serving.json']) fs.copyFileSync(path.join(dir, f), path.join(root, f));
    const valid = readDataset(path.join(root, 'artifacts', 'p', 'data', 'valid.arrow')).rows;
    const reference = readLogits(path.join(root, 'artifacts', 'p', 'prefix', 'logits', 'valid.arrow')).logits;
    expect(parity((await onnxLogits(bare, valid)).logits, reference, 5).max_abs_diff).toBeGreaterThan(1e-3);
    // served: the INT8 prefix model answers
    const clf = await OnnxClassifier.load(path.join(dir, 'model.int8.onnx'));
    const [answer] = await clf.classify(['国足赢了'], 2);
    expect(answer.top).toHaveLength(2);
    await clf.dispose();
  }, 120_000);
});
