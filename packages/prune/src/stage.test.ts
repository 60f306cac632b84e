import * as path from 'node:path';
import { readJson, runStage, smokeWorkspace } from '@distill/core';
import { dataStage } from '@distill/data';
import { distillStage } from '@distill/distill';
import { teacherStage } from '@distill/teacher';
import { pruneStage } from './stage';
import type { FinePrunedPoint, StructuredPoint, UnstructuredPoint } from './stage';

const out = (root: string, stage: string, f = '') => path.join(root, 'artifacts', 'p', stage, f);

describe('prune stage', () => {
  it('cuts each FFN to the chosen share of its most important neurons, scores the curve on valid, and a distill stage recovers it', async () => {
    const root = smokeWorkspace(`  teacher:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, model: { hidden_size: 32, layers: 2, heads: 2, intermediate_size: 64, max_length: 24 }, training: { epochs: 6, batch_size: 16, lr: 0.003 } }
  prune:
    uses: prune
    inputs: { data: data, model: teacher }
    params: { ffn_keep: [0.5, 0.25], keep: 0.25, importance_rows: 64, magnitude_sparsity: [0.9], latency_rows: 20, fine_prune: { sparsity: [0.8], steps: 12, every: 2, eval_every: 4, lr: 0.003 } }
  prune-auto:
    uses: prune
    inputs: { data: data, model: teacher }
    params: { ffn_keep: [0.5, 0.25], layers_keep: [1], max_accuracy_drop: 100, importance_rows: 64, magnitude_sparsity: [], latency_rows: 5 }
  recover:
    uses: distill
    inputs: { data: data, teacher: teacher, student: prune }
    params: { objective: task, init: { input: student }, latent: { weight: 0 }, alpha: 0.5, temperature: 2, training: { epochs: 1, batch_size: 16 } }
`);
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'teacher', root);
    const manifest = await runStage(pruneStage, 'p.yaml', 'prune', root);
    const report = readJson<{ structured: StructuredPoint[]; unstructured: UnstructuredPoint[]; fine_pruned: FinePrunedPoint[]; chosen: StructuredPoint }>(out(root, 'prune', 'prune-report.json'));
    // gradual pruning while fine-tuning: both methods reach the final sparsity
    expect(report.fine_pruned.map((f) => f.method)).toEqual(['magnitude', 'movement']);
    for (const f of report.fine_pruned) expect(f.sparsity).toBeGreaterThanOrEqual(0.79);
    expect(report.structured.map((s) => [s.layers, s.keep, s.intermediate_size])).toEqual([[2, 1, 64], [2, 0.5, 32], [2, 0.25, 16]]);
    expect(report.structured[2].encoder_params).toBeLessThan(report.structured[0].encoder_params);
    expect(report.chosen.intermediate_size).toBe(16);
    expect(readJson<{ intermediate_size: number }>(out(root, 'prune', 'checkpoint/config.json')).intermediate_size).toBe(16);
    // 90% zeros: the same ONNX bytes, far fewer once compressed
    const [dense, sparse] = report.unstructured;
    expect(sparse.sparsity).toBe(0.9);
    expect(sparse.onnx_bytes).toBe(dense.onnx_bytes);
    expect(sparse.onnx_gzip_bytes).toBeLessThan(0.6 * dense.onnx_gzip_bytes);
    expect((manifest.reads ?? []).some((r) => r.endsWith('test.arrow'))).toBe(false);
    // auto with any drop allowed, one layer tried too: the fewest encoder parameters, one layer at the smallest share
    await runStage(pruneStage, 'p.yaml', 'prune-auto', root);
    const auto = readJson<{ structured: StructuredPoint[]; chosen: StructuredPoint; layer_importance: number[] }>(out(root, 'prune-auto', 'prune-report.json'));
    expect(auto.structured.map((s) => [s.layers, s.keep])).toEqual([[2, 1], [2, 0.5], [2, 0.25], [1, 1], [1, 0.5], [1, 0.25]]);
    expect(auto.layer_importance).toHaveLength(2);
    expect([auto.chosen.layers, auto.chosen.keep]).toEqual([1, 0.25]);
    expect(readJson<{ num_hidden_layers: number; intermediate_size: number }>(out(root, 'prune-auto', 'checkpoint/config.json'))).toMatchObject({ num_hidden_layers: 1, intermediate_size: 16 });
    // recovery: the pruned model trains on as a distill stage's student, at its pruned width
    await runStage(distillStage, 'p.yaml', 'recover', root);
    expect(readJson<{ intermediate_size: number }>(out(root, 'recover', 'checkpoint/config.json')).intermediate_size).toBe(16);
  });
});
