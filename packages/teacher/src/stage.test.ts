import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { argmaxRows, MULTILABEL_FIXTURE, readDataset, readJson, readLogits, readSafetensors, runStage, SMOKE_FIXTURE, smokeWorkspace, tempWorkspace, WordPieceTokenizer } from '@distill/core';
import { ernieConfig, randomWeights, writeHfCheckpoint, type HfShape } from '../../model/src/hf-checkpoints.testutil';
import { classifierHead, clozeScorer, loadCheckpoint, predictLogits } from '@distill/model';
import { augmentStage } from '@distill/augment';
import { dataStage } from '@distill/data';
import { distillStage } from '@distill/distill';
import { serveStage } from '@distill/serve';
import { teacherStage } from './stage';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** A workspace with the smoke fixture and a data → pretrain → finetune pipeline. */
function workspace(finetuneEpochs = 2): string {
  const model = '{ hidden_size: 16, layers: 1, heads: 2, intermediate_size: 32, max_length: 24 }';
  const root = smokeWorkspace(
    `  pre:
    uses: teacher
    inputs: { data: data }
    params: { mode: pretrain, model: ${model}, training: { epochs: 1, batch_size: 32 } }
  teacher:
    uses: teacher
    inputs: { data: data, pretrained: pre }
    params: { mode: finetune, init: { input: pretrained }, training: { epochs: ${finetuneEpochs}, batch_size: 16, lr: 0.003 } }
  prompt:
    uses: teacher
    inputs: { data: data, pretrained: pre }
    params: { mode: prompt, init: { input: pretrained }, template: '这是[MASK][MASK]新闻：{text}', training: { epochs: 2, batch_size: 16, lr: 0.003 } }
  cloze:
    uses: teacher
    inputs: { data: data, pretrained: pre }
    params: { mode: cloze, init: { input: pretrained }, template: '这是[MASK][MASK]新闻：{text}' }
  serve-cloze:
    uses: serve
    inputs: { data: data, cloze: cloze, prompt: prompt }
  aug-unlabeled:
    uses: augment
    inputs: { data: data }
    params: { splits: [unlabeled], strategies: { delete: { p: 0.2 }, swap: { n: 1 } }, multiplier: 2 }
  semi:
    uses: teacher
    inputs: { data: data, uda: aug-unlabeled }
    params:
      mode: finetune
      model: ${model}
      uda: { confidence: 0, batch_size: 8 }
      self_training: { rounds: 2, confidence: 0, passes: 2, per_class: 5, epochs: 1 }
      training: { epochs: 1, batch_size: 16, lr: 0.003 }
  ust:
    uses: teacher
    inputs: { data: data, tuned: semi }
    params:
      mode: finetune
      init: { input: tuned }
      naive_bayes: { enabled: false }
      self_training: { rounds: 1, confidence: 0, passes: 2, per_class: 5, epochs: 1, sample: 4 }
      training: { epochs: 0, batch_size: 16, lr: 0.003 }
  aux:
    uses: teacher
    inputs: { data: data }
    params:
      mode: finetune
      model: ${model}
      embeddings: { file: data/vectors.f32, vocab: data/vectors.json, dim: 4 }
      aux_mlm: { weight: 0.5 }
      training: { epochs: 1, batch_size: 16 }
  wide:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, model: ${model}, wide: { buckets: 256, max_n: 2, fit: { epochs: 2 } }, training: { epochs: 1, batch_size: 16, wide_lr: 0 } }
  widenb:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, model: ${model}, wide: { buckets: 256, max_n: 2, fit: { method: naive_bayes, alpha: [0.5, 1], logistic: { c: 10, iterations: 30 }, cross_fit: 3 } }, training: { epochs: 1, batch_size: 16, wide_lr: 0 } }
  late:
    uses: teacher
    inputs: { data: data, encoder: teacher }
    params: { mode: finetune, init: { input: encoder }, wide: { buckets: 256, max_n: 2, fit: { method: naive_bayes, alpha: [0.5, 1] } }, training: { epochs: 0, wide_lr: 0 } }
  untrained:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, model: ${model}, training: { epochs: 0 } }
  widezero:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, model: ${model}, wide: { buckets: 256 }, training: { epochs: 1, batch_size: 16, wide_lr: 0 } }
  prefix:
    uses: teacher
    inputs: { data: data, pretrained: pre }
    params: { mode: prefix, prefix_length: 4, init: { input: pretrained }, training: { epochs: 1, batch_size: 16, lr: 0.01 } }
`,
  );
  fs.writeFileSync(path.join(root, 'data', 'vectors.f32'), Buffer.from(Float32Array.from([1, 0, 0, 1, 0, 1, 1, 0]).buffer));
  fs.writeFileSync(path.join(root, 'data', 'vectors.json'), JSON.stringify(['国', '足']));
  return root;
}

const out = (root: string, stage: string, f = '') => path.join(root, 'artifacts', 'p', stage, f);

describe('teacher stage', () => {
  it('multi-label: a sigmoid per label trained with binary cross-entropy, thresholds chosen on valid; single-label modes refused', async () => {
    const model = '{ hidden_size: 64, layers: 2, heads: 4, intermediate_size: 128, max_length: 24 }';
    const root = tempWorkspace(
      `backend: wasm
stages:
  data:
    uses: data
    params:
      source: { format: tsv, train: data/train.tsv, test: data/test.tsv, labels: data/labels.txt, label_separator: '|' }
      vocab: { min_frequency: 1 }
      max_length: 24
  teacher:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, model: ${model}, training: { epochs: 20, batch_size: 16, lr: 0.002 } }
  prompt:
    uses: teacher
    inputs: { data: data }
    params: { mode: prompt, model: ${model}, template: '[MASK][MASK]：{text}', training: { epochs: 1 } }
  wide:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, model: ${model}, wide: { buckets: 64, fit: { epochs: 1 } }, training: { epochs: 1 } }
  nb:
    uses: teacher
    inputs: { data: data }
    params: { mode: naive_bayes }
  distill:
    uses: distill
    inputs: { data: data, teacher: teacher }
    params: { objective: task, student: ${model}, training: { epochs: 1 } }
`,
      { data: MULTILABEL_FIXTURE },
    );
    await runStage(dataStage, 'p.yaml', 'data', root);
    const manifest = await runStage(teacherStage, 'p.yaml', 'teacher', root);
    const summary = manifest.summary as { problem_type: string; valid_micro_f1: number; thresholds: number[] };
    expect(summary.problem_type).toBe('multi_label_classification');
    expect(summary.thresholds).toHaveLength(5);
    // five balanced topics: a model that learned nothing predicts no label (micro-F1 0) or every label (~0.45)
    expect(summary.valid_micro_f1).toBeGreaterThan(0.7);
    expect(readJson<{ problem_type: string }>(out(root, 'teacher', 'checkpoint/config.json')).problem_type).toBe('multi_label_classification');
    const { encoder } = loadCheckpoint(out(root, 'teacher', 'checkpoint'));
    expect(encoder.config.problemType).toBe('multi_label_classification');
    encoder.dispose();
    await expect(runStage(teacherStage, 'p.yaml', 'prompt', root)).rejects.toThrow(/stages\.prompt\.params\.mode: 'prompt' is single-label/);
    await expect(runStage(teacherStage, 'p.yaml', 'wide', root)).rejects.toThrow(/stages\.wide\.params\.wide: the wide n-gram table is single-label/);
    await expect(runStage(teacherStage, 'p.yaml', 'nb', root)).rejects.toThrow(/stages\.nb\.params\.mode: 'naive_bayes' is single-label/);
    await expect(runStage(distillStage, 'p.yaml', 'distill', root)).rejects.toThrow(/stages\.distill: task distillation is single-label/);
  });

  it('pretrains with an MLM head, then fine-tunes from it, with logits, metrics and a naive Bayes baseline', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'pre', root);
    const pre = readSafetensors(out(root, 'pre', 'checkpoint/model.safetensors')).tensors;
    expect(pre.has('cls.predictions.transform.dense.weight')).toBe(true);
    expect(JSON.parse(fs.readFileSync(out(root, 'pre', 'metrics.json'), 'utf8')).valid.mlm_accuracy).toBeGreaterThanOrEqual(0);

    const manifest = await runStage(teacherStage, 'p.yaml', 'teacher', root);
    expect(manifest.backend).toMatch(/^wasm, matmul (native \(\w+, \d+ threads?\)|wasm \(XNNPACK\))$/); // with the matmul kernel that ran
    const ft = readSafetensors(out(root, 'teacher', 'checkpoint/model.safetensors')).tensors;
    expect(ft.get('classifier.weight')!.shape).toEqual([5, 16]);
    expect(ft.get('bert.embeddings.word_embeddings.weight')!.shape).toEqual(pre.get('bert.embeddings.word_embeddings.weight')!.shape);
    for (const split of ['train', 'valid']) expect(readLogits(out(root, 'teacher', `logits/${split}.arrow`)).numLabels).toBe(5);
    // the test split is sealed: the teacher neither scores it nor lists it among what it read
    expect(fs.existsSync(out(root, 'teacher', 'logits/test.arrow'))).toBe(false);
    expect(manifest.reads).toEqual(expect.arrayContaining([expect.stringMatching(/data\/train\.arrow$/)]));
    expect(manifest.reads!.some((f) => /test\.arrow$/.test(f))).toBe(false);
    const baseline = JSON.parse(fs.readFileSync(out(root, 'teacher', 'baseline.json'), 'utf8'));
    expect(baseline).toMatchObject({ role: 'baseline', format: 'naive-bayes', split: 'valid', ngram_max: 2, alpha: 0.1 });
    expect(baseline.accuracy).toBeGreaterThan(0.8); // the fixture's classes have disjoint vocabularies
  });

  it('trains in prompt mode (cloze + verbalizer), scores zero-shot cloze (served on test alike) and trains prefix mode (encoder frozen, trainable share reported)', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'pre', root);
    const prompt = await runStage(teacherStage, 'p.yaml', 'prompt', root);
    expect(prompt.summary).toMatchObject({ mode: 'prompt' });
    expect(readLogits(out(root, 'prompt', 'logits/valid.arrow')).numLabels).toBe(5);
    // zero-shot cloze: the pretrained checkpoint as it is, each label's mean over the texts removed
    const cloze = await runStage(teacherStage, 'p.yaml', 'cloze', root);
    expect(fs.existsSync(out(root, 'cloze', 'checkpoint'))).toBe(false);
    const spec = readJson<{ format: string; centre: number[]; checkpoint: string }>(out(root, 'cloze', 'baseline.json'));
    expect(spec).toMatchObject({ format: 'cloze', checkpoint: 'artifacts/p/pre/checkpoint' });
    const texts = [...readLogits(out(root, 'cloze', 'logits/train.arrow')).logits, ...readLogits(out(root, 'cloze', 'logits/unlabeled.arrow')).logits];
    for (let l = 0; l < 5; l++) expect(Math.abs(texts.filter((_, i) => i % 5 === l).reduce((a, b) => a + b, 0) / (texts.length / 5))).toBeLessThan(1e-3);
    const validLogits = readLogits(out(root, 'cloze', 'logits/valid.arrow'));
    const valid = readDataset(out(root, 'data', 'valid.arrow'));
    expect(cloze.summary.valid_accuracy).toBeCloseTo(argmaxRows(validLogits.logits, 5).filter((p, i) => p === valid.rows[i].label).length / valid.rows.length, 10);
    // the final evaluation scores the same checkpoint, template and centre on test
    await runStage(serveStage, 'p.yaml', 'serve-cloze', root);
    const served = readJson<{ models: { name: string; format: string; accuracy: number }[] }>(out(root, 'serve-cloze', 'benchmark.json')).models.find((m) => m.format === 'cloze')!;
    const test = readDataset(out(root, 'data', 'test.arrow'));
    const scorer = clozeScorer(out(root, 'pre', 'checkpoint'), '这是[MASK][MASK]新闻：{text}', ['体育', '财经', '科技', '汽车', '教育'], test.labels, Float32Array.from(spec.centre));
    const expected = argmaxRows(scorer.score(test.rows.map((r) => r.text)), 5).filter((p, i) => p === test.rows[i].label).length / test.rows.length;
    expect(served.accuracy).toBeCloseTo(expected, 10);
    // the prompt teacher's baseline.json is the prompt model itself: its checkpoint, no centre, scored on test alike
    const promptSpec = readJson<{ format: string; checkpoint: string; centre: number[]; accuracy: number }>(out(root, 'prompt', 'baseline.json'));
    expect(promptSpec).toMatchObject({ format: 'prompt', checkpoint: 'artifacts/p/prompt/checkpoint', centre: [0, 0, 0, 0, 0] });
    expect(promptSpec.accuracy).toBeCloseTo(prompt.summary.valid_accuracy as number, 10);
    const servedPrompt = readJson<{ models: { name: string; format: string; accuracy: number }[] }>(out(root, 'serve-cloze', 'benchmark.json')).models.find((m) => m.format === 'prompt')!;
    const tuned = clozeScorer(out(root, 'prompt', 'checkpoint'), '这是[MASK][MASK]新闻：{text}', ['体育', '财经', '科技', '汽车', '教育'], test.labels);
    const promptExpected = argmaxRows(tuned.score(test.rows.map((r) => r.text)), 5).filter((p, i) => p === test.rows[i].label).length / test.rows.length;
    expect(servedPrompt).toMatchObject({ name: 'prompt' });
    expect(servedPrompt.accuracy).toBeCloseTo(promptExpected, 10);
    const prefix = await runStage(teacherStage, 'p.yaml', 'prefix', root);
    const share = prefix.summary.trainable_share as number;
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(0.2);
    const pre = readSafetensors(out(root, 'pre', 'checkpoint/model.safetensors')).tensors.get('bert.encoder.layer.0.attention.self.query.weight')!.data as Float32Array;
    const after = readSafetensors(out(root, 'prefix', 'checkpoint/model.safetensors')).tensors.get('bert.encoder.layer.0.attention.self.query.weight')!.data as Float32Array;
    expect(Array.from(after)).toEqual(Array.from(pre));
    expect(readSafetensors(out(root, 'prefix', 'checkpoint/prefix.safetensors')).tensors.get('prefix.layer.0.key')!.shape).toEqual([4, 16]);
  });

  it('trains with UDA on augmented unlabeled texts, then self-trains, keeping a round only when valid accuracy rises', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(augmentStage, 'p.yaml', 'aug-unlabeled', root);
    const semi = await runStage(teacherStage, 'p.yaml', 'semi', root);
    expect(semi.reads).toEqual(expect.arrayContaining(['artifacts/p/aug-unlabeled/augmented-unlabeled.arrow', 'artifacts/p/data/unlabeled.arrow']));
    const curves = readJson<{ curve: { terms?: Record<string, number> }[]; best: { score: number } }>(out(root, 'semi', 'curves.json'));
    expect(Object.keys(curves.curve[0].terms ?? {}).sort()).toEqual(['consistency', 'supervised']);
    const rounds = semi.summary.self_training as { round: number; pseudo_rows: number; valid_accuracy: number; kept: boolean }[];
    expect(rounds.map((r) => r.round)).toEqual([1, 2]);
    // at most per_class (5) for each of the 5 labels
    for (const r of rounds) expect(r.pseudo_rows).toBeGreaterThan(0);
    for (const r of rounds) expect(r.pseudo_rows).toBeLessThanOrEqual(25);
    // a round is kept only above the best so far; the model written is the best of the first training and the kept rounds
    let best = curves.best.score;
    for (const r of rounds) {
      expect(r.kept).toBe(r.valid_accuracy > best);
      if (r.kept) best = r.valid_accuracy;
    }
    expect(semi.summary.valid_accuracy).toBeCloseTo(best, 10);
    // UST from the fine-tuned model as it is (training.epochs 0): its rounds start at that model's valid accuracy, and
    // each scores a sample of 4 unlabeled texts
    const ust = await runStage(teacherStage, 'p.yaml', 'ust', root);
    expect(ust.summary.steps).toBe(0);
    const [round] = ust.summary.self_training as { pseudo_rows: number; valid_accuracy: number; kept: boolean }[];
    expect(round.pseudo_rows).toBeGreaterThan(0);
    expect(round.pseudo_rows).toBeLessThanOrEqual(4);
    expect(round.kept).toBe(round.valid_accuracy > (semi.summary.valid_accuracy as number));
    expect(ust.summary.valid_accuracy).toBeCloseTo(Math.max(round.valid_accuracy, semi.summary.valid_accuracy as number), 10);
  });

  it('fine-tunes with an auxiliary MLM loss from warm-started embeddings', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    const m = await runStage(teacherStage, 'p.yaml', 'aux', root);
    expect(m.summary.steps).toBeGreaterThan(0);
    const tensors = readSafetensors(out(root, 'aux', 'checkpoint/model.safetensors')).tensors;
    expect(tensors.has('classifier.weight')).toBe(true);
    expect(tensors.has('cls.predictions.transform.dense.weight')).toBe(true);
  });

  it('fits a wide table alone first and keeps it fixed (wide_lr 0); refuses a table that nothing would train', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    const manifest = await runStage(teacherStage, 'p.yaml', 'wide', root);
    const summary = manifest.summary as Record<string, number>;
    expect(summary.wide_fit_steps).toBeGreaterThan(0);
    expect((summary.valid_components as unknown as { table: number }).table).toBeGreaterThan(0.8); // the fixture's classes have disjoint vocabularies
    expect(summary.trainable_params).toBe(summary.params - 256 * 5); // the fixed table does not count
    expect(JSON.parse(fs.readFileSync(out(root, 'wide', 'curves.json'), 'utf8')).wide_fit.evals.length).toBeGreaterThan(0);
    await expect(runStage(teacherStage, 'p.yaml', 'widezero', root)).rejects.toThrow(/stages\.widezero.*wide_lr 0 and no wide\.fit/);
  });

  it('counts a naive Bayes table (plus a logistic regression) instead of training one, and reports how', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    const manifest = await runStage(teacherStage, 'p.yaml', 'widenb', root);
    const summary = manifest.summary as Record<string, number | string | boolean>;
    expect(summary).toMatchObject({ wide_fit_method: 'naive_bayes', wide_fit_cross_fit: 3 });
    // the encoder's weight against the table, chosen on valid from the grid and folded into the classifier
    expect([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2]).toContain(summary.encoder_weight);
    // training rows' logits use the out-of-fold table (the teacher's honest predictions); valid's are the model's own
    const { encoder, vocab } = loadCheckpoint(out(root, 'widenb', 'checkpoint'));
    const tokenizer = new WordPieceTokenizer(vocab);
    const maxDiff = (split: string) => {
      const rows = readDataset(out(root, 'data', `${split}.arrow`)).rows;
      const written = readLogits(out(root, 'widenb', `logits/${split}.arrow`)).logits;
      const model = predictLogits(classifierHead(encoder), tokenizer, rows.map((r) => r.text));
      return Math.max(...Array.from(model, (x, i) => Math.abs(x - written[i])));
    };
    expect(maxDiff('valid')).toBeLessThan(1e-4);
    expect(readLogits(out(root, 'widenb', 'logits/train-table-oof.arrow')).ids).toHaveLength(readDataset(out(root, 'data', 'train.arrow')).rows.length);
    expect(maxDiff('train')).toBeGreaterThan(1e-3);
    encoder.dispose();
    const tried = summary.encoder_weights_tried as unknown as { weight: number; valid_accuracy: number }[];
    expect(tried).toHaveLength(8);
    expect(tried.find((t) => t.weight === summary.encoder_weight)!.valid_accuracy).toBe(Math.max(...tried.map((t) => t.valid_accuracy)));
    // the out-of-fold accuracy is each training row scored by a table that never counted it
    expect(summary.wide_fit_out_of_fold_accuracy).toBeGreaterThan(0.5);
    expect(summary.wide_fit_out_of_fold_accuracy).toBeLessThanOrEqual(1);
    expect([0.5, 1]).toContain(summary.wide_fit_alpha);
    expect(summary.wide_fit_logistic_weight).toBeGreaterThan(0);
    expect(summary.wide_fit_scale).toBeGreaterThan(0);
    expect((summary.valid_components as unknown as { table: number }).table).toBeGreaterThan(0.8); // the fixture's classes have disjoint vocabularies
    expect(JSON.parse(fs.readFileSync(out(root, 'widenb', 'curves.json'), 'utf8')).wide_fit).toBeUndefined(); // no training curve
  });

  it('takes a fine-tuned encoder as it is (epochs 0) beside a freshly fitted table; refuses epochs 0 without init', async () => {
    const root = workspace();
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'pre', root);
    await runStage(teacherStage, 'p.yaml', 'teacher', root);
    const manifest = await runStage(teacherStage, 'p.yaml', 'late', root);
    const summary = manifest.summary as Record<string, unknown>;
    expect(summary.steps).toBe(0);
    const given = readSafetensors(out(root, 'teacher', 'checkpoint/model.safetensors')).tensors;
    const kept = readSafetensors(out(root, 'late', 'checkpoint/model.safetensors')).tensors;
    // the encoder is the fine-tuned one, untouched; its classifier is scaled by the weight chosen on valid
    const w = summary.encoder_weight as number;
    for (const [name, t] of given) {
      const k = kept.get(name)!;
      const scale = name.startsWith('classifier.') ? w : 1;
      expect(Math.max(...Array.from(t.data as Float32Array, (x, i) => Math.abs(scale * x - (k.data as Float32Array)[i])))).toBeLessThan(1e-6);
    }
    expect([...kept.keys()].some((n) => !given.has(n))).toBe(true); // the table
    expect((summary.valid_components as { encoder: number }).encoder).toBeCloseTo((readJson<{ summary: { valid_accuracy: number } }>(out(root, 'teacher', 'manifest.json'))).summary.valid_accuracy, 10);
    await expect(runStage(teacherStage, 'p.yaml', 'untrained', root)).rejects.toThrow(/stages\.untrained\.params\.training\.epochs: 0 trains nothing, so the model needs init/);
  });

  it('leaves no output behind when interrupted with Ctrl-C, and saves its resume state', async () => {
    const root = workspace(400);
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'pre', root);
    // the stage process itself, as a terminal's Ctrl-C reaches it (tsx as a loader, not as a parent process)
    const cli = path.join(ROOT, 'packages', 'teacher', 'src', 'cli.ts');
    const child = spawn(process.execPath, ['--import', require.resolve('tsx'), cli, '--pipeline', 'p.yaml', '--stage', 'teacher'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (!sent && /teacher 1\/\d+/.test(stderr)) {
          sent = true; // once training has started
          child.kill('SIGINT');
        }
      });
      child.on('exit', () => resolve());
    });
    expect(stderr).toMatch(/interrupted by SIGINT: resume state saved at step \d+/);
    expect(child.exitCode).toBe(130);
    expect(fs.existsSync(out(root, 'teacher'))).toBe(false);
    // no output, but the place it stopped at, for the next run to continue from
    expect(fs.readdirSync(path.join(root, 'artifacts', 'p')).sort()).toEqual(['.resume', 'data', 'pre']);
    expect(fs.existsSync(path.join(root, 'artifacts', 'p', '.resume', 'teacher', 'train', 'state.json'))).toBe(true);
  });

  it('fine-tunes from an ERNIE 3.0 checkpoint (a test-written one) through init: { path }, its classifier reordered by id2label', async () => {
    const chars = new Set<string>();
    for (const f of ['train.tsv', 'test.tsv', 'unlabeled.txt']) for (const ch of fs.readFileSync(path.join(SMOKE_FIXTURE, f), 'utf8')) if (/\S/.test(ch)) chars.add(ch);
    const shape: HfShape = {
      vocab: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...[...chars].sort()], hidden: 16, layers: 1, heads: 2, intermediate: 32,
      positions: 32, types: 4, tasks: 3, eps: 1e-5, labels: ['edu', 'car', 'tech', 'finance', 'sports'],
    };
    const root = smokeWorkspace(
      `  teacher:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, init: { path: ernie }, training: { epochs: 10, batch_size: 16, lr: 0.01 } }
`,
      { vocab: '{ file: ernie/vocab.txt }' },
    );
    const stored = writeHfCheckpoint(path.join(root, 'ernie'), shape, randomWeights(shape, 3, { scale: 0.05 }), ernieConfig(shape), { prefix: 'ernie', dtype: 'F16' });
    await runStage(dataStage, 'p.yaml', 'data', root);
    let log = '';
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((log += String(chunk)), true));
    try {
      await runStage(teacherStage, 'p.yaml', 'teacher', root);
    } finally {
      spy.mockRestore();
    }
    expect(log).toMatch(/ERNIE task-type embedding \(task id 0\) folded/);
    expect(log).toMatch(/classifier's rows reordered/);
    // trained from the ERNIE weights: close to them, not equal
    const start = stored.get('encoder.layer.0.attention.self.query.weight')!.data;
    const after = readSafetensors(out(root, 'teacher', 'checkpoint/model.safetensors')).tensors.get('bert.encoder.layer.0.attention.self.query.weight')!.data as Float32Array;
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((acc, v, i) => acc + v * b[i], 0);
    const cosine = dot(after, start) / Math.sqrt(dot(after, after) * dot(start, start));
    expect(cosine).toBeLessThan(0.9999);
    expect(cosine).toBeGreaterThan(0.3); // unrelated weights of this size have |cosine| < 0.2
    expect(JSON.parse(fs.readFileSync(out(root, 'teacher', 'checkpoint/config.json'), 'utf8'))).toMatchObject({ model_type: 'bert', type_vocab_size: 4 });
    expect(JSON.parse(fs.readFileSync(out(root, 'teacher', 'metrics.json'), 'utf8')).valid.accuracy).toBeGreaterThan(0.6);
  });

  it('self-trains its naive Bayes baseline by EM on the unlabeled text, rounds and weight chosen on valid; the final evaluation refits the same', async () => {
    const root = smokeWorkspace(`  nbem:
    uses: teacher
    inputs: { data: data }
    params: { mode: finetune, model: { hidden_size: 16, layers: 1, heads: 2, intermediate_size: 32, max_length: 24 }, naive_bayes: { em: { rounds: [0, 2], unlabeled_weight: [0.3, 1] } }, training: { epochs: 1, batch_size: 16, max_steps: 2 } }
  serve:
    uses: serve
    inputs: { data: data, baselines: nbem }
`);
    await runStage(dataStage, 'p.yaml', 'data', root);
    const teacher = await runStage(teacherStage, 'p.yaml', 'nbem', root);
    expect(teacher.reads).toEqual(expect.arrayContaining([expect.stringMatching(/data\/unlabeled\.arrow$/)]));
    const baseline = JSON.parse(fs.readFileSync(out(root, 'nbem', 'baseline.json'), 'utf8'));
    expect(baseline.em.tried.map((t: { rounds: number; unlabeled_weight: number }) => [t.rounds, t.unlabeled_weight])).toEqual([[0, 0], [2, 0.3], [2, 1]]);
    const best = Math.max(...baseline.em.tried.map((t: { valid_accuracy: number }) => t.valid_accuracy));
    expect(baseline.accuracy).toBe(best);
    await runStage(serveStage, 'p.yaml', 'serve', root);
    const bench = JSON.parse(fs.readFileSync(out(root, 'serve', 'benchmark.json'), 'utf8'));
    expect(bench.models.map((m: { name: string }) => m.name)).toEqual([baseline.name]);
    expect(bench.models[0].accuracy).toBeGreaterThan(0.5);
  });

  it('is a naive Bayes teacher (mode naive_bayes): calibrated logits on every split, unlabeled included, that a student distils', async () => {
    const root = smokeWorkspace(`  nb:
    uses: teacher
    inputs: { data: data }
    params: { mode: naive_bayes, em: { rounds: [0, 1], unlabeled_weight: [0.3] } }
  student:
    uses: distill
    inputs: { data: data, teacher: nb }
    params: { objective: task, student: { hidden_size: 16, layers: 1, heads: 2, intermediate_size: 32, max_length: 24 }, latent: { weight: 0 }, use_unlabeled: true, alpha: 0.7, training: { epochs: 1, batch_size: 16 } }
`);
    await runStage(dataStage, 'p.yaml', 'data', root);
    const m = await runStage(teacherStage, 'p.yaml', 'nb', root);
    const summary = m.summary as { valid_accuracy: number; temperature: number };
    expect(summary.valid_accuracy).toBeGreaterThan(0.8);
    expect([1, 2, 5, 10, 20, 50]).toContain(summary.temperature);
    const metrics = JSON.parse(fs.readFileSync(out(root, 'nb', 'metrics.json'), 'utf8'));
    const best = metrics.calibration.tried.reduce((a: { valid_log_loss: number }, b: { valid_log_loss: number }) => (b.valid_log_loss < a.valid_log_loss ? b : a));
    expect(best.temperature).toBe(summary.temperature);
    expect(fs.existsSync(out(root, 'nb', 'checkpoint'))).toBe(false);
    for (const split of ['train', 'valid', 'unlabeled']) expect(readLogits(out(root, 'nb', `logits/${split}.arrow`)).numLabels).toBe(5);
    await runStage(distillStage, 'p.yaml', 'student', root);
    // the student trained on the training rows plus every unlabeled row, labelled by the naive Bayes teacher
    const rows = JSON.parse(fs.readFileSync(out(root, 'student', 'metrics.json'), 'utf8')).rows;
    expect(rows).toEqual({ train: readLogits(out(root, 'nb', 'logits/train.arrow')).ids.length, unlabeled: readLogits(out(root, 'nb', 'logits/unlabeled.arrow')).ids.length });
  });
});
