import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readDataset, readLogits, readSafetensors, runStage, smokeWorkspace } from '@distill/core';
import { dataStage } from '@distill/data';
import { Encoder, NAIVE_BAYES_WEIGHTS, type EncoderConfig } from '@distill/model';
import { teacherStage } from '@distill/teacher';
import { copyTeacherLayers } from './init';
import { bestTrial, halvingRungs, runSearch, searchGrid, type SearchConfig } from './search';
import { distillStage } from './stage';

const STUDENT = '{ hidden_size: 16, layers: 1, heads: 2, intermediate_size: 32, max_length: 24 }';

function workspace(): string {
  return smokeWorkspace(
    `  teacher:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, label_unlabeled: true, model: { hidden_size: 32, layers: 2, heads: 4, intermediate_size: 64, max_length: 24 }, training: { epochs: 3, batch_size: 16, lr: 0.003 } }
  gd:
    uses: distill
    inputs: { data: data, teacher: teacher }
    params: { objective: latent, corpus: [unlabeled], student: ${STUDENT}, latent: { relation_heads: 4 }, training: { epochs: 1, batch_size: 16 } }
  tsd:
    uses: distill
    inputs: { data: data, teacher: teacher, student: gd }
    params:
      objective: task
      init: { input: student }
      use_unlabeled: true
      latent: { relation_heads: 4, weight: 0.5 }
      training: { epochs: 2, batch_size: 16, lr: 0.003 }
      search: { alpha: [0.3, 0.7], temperature: [1, 4], lr: [0.003, 0.01], trials: 3, steps: 6, eta: 3 }
  alone:
    uses: distill
    inputs: { data: data }
    params: { objective: task, student: ${STUDENT}, alpha: 0, latent: { weight: 0 }, training: { epochs: 2, batch_size: 16, lr: 0.003 } }
  alone-soft:
    uses: distill
    inputs: { data: data }
    params: { objective: task, student: ${STUDENT}, alpha: 0.5, latent: { weight: 0 }, training: { epochs: 1, batch_size: 16 } }
  own-table:
    uses: distill
    inputs: { data: data, teacher: teacher }
    params: { objective: task, student: ${STUDENT}, student_wide: { buckets: 512, max_n: 2 }, alpha: 0.7, latent: { weight: 0 }, use_unlabeled: true, training: { epochs: 3, batch_size: 16, lr: 0.003, wide_lr: 0.1 } }
  fitted-table:
    uses: distill
    inputs: { data: data, teacher: teacher }
    params: { objective: task, student: ${STUDENT}, student_wide: { buckets: 512, max_n: 2, fit: { method: naive_bayes, alpha: [0.3, 1], soft_weight: [0.5, 2], cross_fit: 3 } }, alpha: 0.7, latent: { weight: 0 }, use_unlabeled: true, training: { epochs: 1, batch_size: 16, lr: 0.003, wide_lr: 0 } }
  fitted-logistic:
    uses: distill
    inputs: { data: data, teacher: teacher }
    params: { objective: task, student: ${STUDENT}, student_wide: { buckets: 512, max_n: 2, fit: { method: naive_bayes, alpha: [0.3, 1], soft_weight: [0.5, 2], cross_fit: 3, logistic: { c: 4, iterations: 50 } } }, alpha: 0.7, latent: { weight: 0 }, use_unlabeled: true, training: { epochs: 1, batch_size: 16, lr: 0.003, wide_lr: 0 } }
  fitted-search:
    uses: distill
    inputs: { data: data, teacher: teacher }
    params: { objective: task, student: ${STUDENT}, student_wide: { buckets: 512, max_n: 2, fit: { method: naive_bayes } }, search: { alpha: [0.5], temperature: [2] } }
`,
  );
}

const out = (root: string, stage: string, f = '') => path.join(root, 'artifacts', 'p', stage, f);

describe('distill stage', () => {
  it('chains latent distillation (GD) into task distillation with a search and data distillation on unlabeled text', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'teacher', root);
    expect(readLogits(out(root, 'teacher', 'logits/unlabeled.arrow')).numLabels).toBe(5);
    const gd = await runStage(distillStage, 'p.yaml', 'gd', root);
    expect(gd.summary).toMatchObject({ objective: 'latent' });
    expect(readSafetensors(out(root, 'gd', 'checkpoint/model.safetensors')).tensors.has('classifier.weight')).toBe(false);
    const tsd = await runStage(distillStage, 'p.yaml', 'tsd', root);
    expect(tsd.summary).toMatchObject({ objective: 'task', trials: 4 });
    // the manifest records the student that trained (gd's 1 × 16), and no default shape in its params
    expect((tsd.params as { student?: unknown }).student).toBeUndefined();
    expect(tsd.summary.model).toMatchObject({ hidden_size: 16, layers: 1, heads: 2, intermediate_size: 32, max_length: 24, labels: 5, wide_buckets: 0 });
    const search = JSON.parse(fs.readFileSync(out(root, 'tsd', 'search.json'), 'utf8'));
    // successive halving: 3 configurations for 2 steps, the best one for 6
    expect(search.trials.map((t: { rung: number; steps: number }) => [t.rung, t.steps])).toEqual([[0, 2], [0, 2], [0, 2], [1, 6]]);
    expect(search.trials.every((t: { valid_accuracy: number }) => t.valid_accuracy >= 0)).toBe(true);
    expect(search.best).toEqual(search.trials[3]);
    expect([0.3, 0.7]).toContain(search.best.alpha);
    expect([0.003, 0.01]).toContain(search.best.lr);
    const metrics = JSON.parse(fs.readFileSync(out(root, 'tsd', 'metrics.json'), 'utf8'));
    expect(metrics.rows).toEqual({ train: readDataset(out(root, 'data', 'train.arrow')).rows.length, unlabeled: readDataset(out(root, 'data', 'unlabeled.arrow')).rows.length });
    expect(readLogits(out(root, 'tsd', 'logits/valid.arrow')).numLabels).toBe(5);
    expect(fs.existsSync(out(root, 'tsd', 'logits/test.arrow'))).toBe(false);
    // each loss term of the run, per step
    const curve = JSON.parse(fs.readFileSync(out(root, 'tsd', 'curves.json'), 'utf8')).curve as { loss: number; terms: Record<string, number> }[];
    expect(Object.keys(curve[0].terms).sort()).toEqual(['hard', 'latent', 'soft']); // latent weight 0.5, 0 < α < 1
    for (const term of ['hard', 'latent', 'soft']) expect(curve[0].terms[term]).toBeGreaterThan(0);
    const sum = Object.values(curve[0].terms).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(curve[0].loss, 4);
  });
});

describe('the student-alone baseline', () => {
  it('trains on hard labels without a teacher input, and asks for one when soft labels are configured', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    const alone = await runStage(distillStage, 'p.yaml', 'alone', root);
    expect(alone.summary).toMatchObject({ objective: 'task', alpha: 0 });
    const metrics = JSON.parse(fs.readFileSync(out(root, 'alone', 'metrics.json'), 'utf8'));
    expect(metrics.rows).toEqual({ train: readDataset(out(root, 'data', 'train.arrow')).rows.length });
    expect(metrics.valid.accuracy).toBeGreaterThan(0);
    expect(metrics.test).toBeUndefined();
    await expect(runStage(distillStage, 'p.yaml', 'alone-soft', root)).rejects.toThrow(/stages\.alone-soft: without input teacher .*alpha: 0/);
    expect(fs.existsSync(out(root, 'alone-soft', 'checkpoint'))).toBe(false);
  });
});

describe('a student with a wide table of its own', () => {
  it('starts it at zero and trains it beside the encoder on the teacher\'s soft labels', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'teacher', root);
    const m = await runStage(distillStage, 'p.yaml', 'own-table', root);
    const summary = m.summary as { params_table: number; valid_accuracy: number };
    expect(summary.params_table).toBe(512 * 5);
    const config = JSON.parse(fs.readFileSync(out(root, 'own-table', 'checkpoint/config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'bert-ngram', wide_buckets: 512, wide_max_n: 2 });
    const table = readSafetensors(out(root, 'own-table', 'checkpoint/model.safetensors')).tensors.get('wide.ngram_embeddings.weight')!;
    expect(Math.max(...Array.from(table.data as Float32Array, Math.abs))).toBeGreaterThan(0.05); // it trained
    expect(summary.valid_accuracy).toBeGreaterThan(0.5);
  });

  it('with fit, fits it first as naive Bayes on the gold rows and the teacher-labelled rows, smoothing and weight chosen on valid', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'teacher', root);
    const m = await runStage(distillStage, 'p.yaml', 'fitted-table', root);
    const summary = m.summary as Record<string, number>;
    expect([0.3, 1]).toContain(summary.wide_fit_alpha);
    expect([0.5, 2]).toContain(summary.wide_fit_soft_weight);
    expect(summary.wide_fit_valid_accuracy).toBeGreaterThan(0.5);
    expect(summary.wide_fit_out_of_fold_accuracy).toBeGreaterThanOrEqual(0);
    expect(summary.wide_fit_scale).toBeGreaterThan(0);
    // wide_lr 0 keeps the table as fitted: a table that started at zero and never trained would be all zeros
    const table = readSafetensors(out(root, 'fitted-table', 'checkpoint/model.safetensors')).tensors.get('wide.ngram_embeddings.weight')!;
    expect(Math.max(...Array.from(table.data as Float32Array, Math.abs))).toBeGreaterThan(0.05);
    // with logistic, a regression table on the gold rows joins naive Bayes at a weight chosen on valid
    const lm = await runStage(distillStage, 'p.yaml', 'fitted-logistic', root);
    const ls = lm.summary as Record<string, number>;
    expect(NAIVE_BAYES_WEIGHTS).toContain(ls.wide_fit_logistic_weight);
    expect(ls.wide_fit_logistic_valid_accuracy).toBeGreaterThan(0.5);
    expect(summary.wide_fit_logistic_weight).toBeUndefined();
    const mixed = readSafetensors(out(root, 'fitted-logistic', 'checkpoint/model.safetensors')).tensors.get('wide.ngram_embeddings.weight')!;
    expect(Array.from(mixed.data as Float32Array)).not.toEqual(Array.from(table.data as Float32Array));
    await expect(runStage(distillStage, 'p.yaml', 'fitted-search', root)).rejects.toThrow(/student_wide\.fit.*do not combine/s);
  });
});

describe('student initialisation from teacher layers', () => {
  const cfg: EncoderConfig = { vocabSize: 20, hiddenSize: 8, numLayers: 4, numHeads: 2, intermediateSize: 16, maxPositions: 16, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 2, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.02, mlmHead: false };
  it('copies embeddings and the chosen layers', async () => {
    await tf.setBackend('cpu');
    const teacher = Encoder.create(cfg, 1);
    const student = Encoder.create({ ...cfg, numLayers: 2 }, 2);
    copyTeacherLayers(student, teacher, [1, 3]);
    const same = (a: string, b: string) => expect(Array.from(student.params.get(a)!.dataSync())).toEqual(Array.from(teacher.params.get(b)!.dataSync()));
    same('bert.encoder.layer.0.attention.self.query.weight', 'bert.encoder.layer.1.attention.self.query.weight');
    same('bert.encoder.layer.1.output.dense.weight', 'bert.encoder.layer.3.output.dense.weight');
    same('bert.embeddings.word_embeddings.weight', 'bert.embeddings.word_embeddings.weight');
    expect(() => copyTeacherLayers(Encoder.create({ ...cfg, hiddenSize: 4, numLayers: 2 }, 3), teacher, [0, 1])).toThrow(/hidden\/intermediate sizes/);
    expect(() => copyTeacherLayers(student, teacher, [0, 9])).toThrow(/the teacher has no layer 9/);
  });
});

describe('search', () => {
  it('takes a fixed, seeded number of distinct configurations from the grid', () => {
    const t = searchGrid([0.1, 0.5, 0.9], [1, 2], [1e-3, 1e-2], 4, 7);
    expect(t).toHaveLength(4);
    expect(new Set(t.map((x) => `${x.alpha}/${x.temperature}/${x.lr}`)).size).toBe(4);
    expect(searchGrid([0.1, 0.5, 0.9], [1, 2], [1e-3, 1e-2], 4, 7)).toEqual(t);
    expect(searchGrid([0.5], [2], [1e-3], 4, 7)).toHaveLength(1);
  });

  it('halves by rungs: budgets grow by eta up to steps, keeping the best 1/eta', () => {
    expect(halvingRungs(9, 270, 3)).toEqual([{ keep: 9, steps: 30 }, { keep: 3, steps: 90 }, { keep: 1, steps: 270 }]);
    expect(halvingRungs(4, 100, 2)).toEqual([{ keep: 4, steps: 25 }, { keep: 2, steps: 50 }, { keep: 1, steps: 100 }]);
    expect(halvingRungs(1, 100, 3)).toEqual([{ keep: 1, steps: 100 }]);
  });

  it('successive halving promotes the best of each rung and returns the best of the last', async () => {
    // a score that prefers alpha near 0.5 and grows with the budget; T = 4 learns faster early but ends lower
    const score = (c: SearchConfig, steps: number) => 1 - Math.abs(c.alpha - 0.5) + (c.temperature === 4 ? (steps < 100 ? 0.3 : -0.3) : 0) + steps / 1000;
    const configs = searchGrid([0.1, 0.3, 0.5, 0.7, 0.9], [1, 4], [1e-3], 9, 3);
    const seen: string[] = [];
    const { trials, best } = await runSearch(configs, { method: 'halving', steps: 270, eta: 3 }, async (c, steps) => {
      seen.push(`${c.alpha}/${c.temperature}@${steps}`);
      return { accuracy: score(c, steps), macro_f1: 0 };
    });
    expect(trials).toHaveLength(9 + 3 + 1);
    const rung0 = trials.filter((t) => t.rung === 0).sort((a, b) => b.valid_accuracy! - a.valid_accuracy!);
    const rung1 = trials.filter((t) => t.rung === 1);
    expect(rung1.map((t) => `${t.alpha}/${t.temperature}`).sort()).toEqual(rung0.slice(0, 3).map((t) => `${t.alpha}/${t.temperature}`).sort());
    expect(best.rung).toBe(2);
    expect(best.steps).toBe(270);
    expect(seen).toHaveLength(13);
    // random search: every configuration for the full budget, the best by valid accuracy
    const random = await runSearch(configs, { method: 'random', steps: 270, eta: 3 }, async (c, steps) => ({ accuracy: score(c, steps), macro_f1: 0 }));
    expect(random.trials).toHaveLength(9);
    expect(random.best).toEqual(bestTrial(random.trials));
    expect(random.best.alpha).toBe(0.5);
    expect(random.best.temperature).toBe(1);
  });

  it('bestTrial ranks by valid accuracy, then macro-F1, then the later rung; ties keep the earlier', () => {
    const t = (valid_accuracy: number, valid_macro_f1: number, rung: number, alpha: number) => ({ alpha, temperature: 1, lr: 1, steps: 1, valid_accuracy, valid_macro_f1, rung });
    expect(bestTrial([t(0.5, 0.1, 0, 1), t(0.6, 0.1, 0, 2), t(0.6, 0.1, 0, 3)]).alpha).toBe(2);
    expect(bestTrial([t(0.6, 0.1, 0, 1), t(0.6, 0.2, 0, 2)]).alpha).toBe(2);
    expect(bestTrial([t(0.6, 0.2, 0, 1), t(0.6, 0.2, 1, 2)]).alpha).toBe(2);
    expect(() => bestTrial([])).toThrow(/no trials/);
  });
});
