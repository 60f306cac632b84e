import * as fs from 'node:fs';
import * as path from 'node:path';
import { runStage, smokeWorkspace } from '@distill/core';
import { dataStage } from '@distill/data';
import { teacherStage } from '@distill/teacher';
import { quantizeStage } from './stage';

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
    expect(fs.readdirSync(path.join(root, 'artifacts', 'p', 'static', 'teacher')).sort()).toEqual(['labels.json', 'model.int8.onnx', 'model.onnx', 'serving.json', 'vocab.txt']);
  }, 120_000);
});
