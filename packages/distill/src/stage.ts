/**
 * The distill stage: one step of ERNIE-Tiny's recipe (see config.ts).
 * Reads: the data stage (input `data`); the teacher stage (input `teacher`: its `checkpoint/` for the latent loss and
 * teacher-layer init, its `logits/*.arrow` for soft labels); optionally `augment` and the previous step (`init.input`).
 * Writes: `checkpoint/` (the student), `metrics.json`, `curves.json`; for `task` also `logits/valid.arrow` and, with a
 * search, `search.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deriveSeed, isMultiLabel, writeJsonAtomic, writeLogits, loadTokenizer, readTokenizerSpec, type WordPieceTokenizer, type StageContext, type StageDefinition } from '@distill/core';
import { classifierHead, countParams, describeBackend, evaluateClassifier, hasWide, loadCheckpoint, mixHeads, modelShape, saveCheckpoint, selectBackend, tableParams, train, trainingConfigFrom, type Encoder } from '@distill/model';
import { paramsSchema, type DistillParams } from './config';
import { startingStudent } from './init';
import { latentTask } from './latent';
import { runSearch, searchGrid, type Trial } from './search';
import { fitStudentTable, type StudentTableResult } from './student-table';
import { distillSet, taskDistillTask } from './task';

function loadTeacher(ctx: StageContext<DistillParams>, vocabSize: number): Encoder | null {
  const p = ctx.params;
  const needModel = p.objective === 'latent' || p.latent.weight > 0 || !!p.init?.teacher_layers || p.wide_from_teacher;
  if (!needModel) return null;
  const dir = path.join(ctx.input('teacher'), 'checkpoint');
  if (!fs.existsSync(dir)) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.inputs.teacher: ${dir} has no checkpoint`);
  const { encoder } = loadCheckpoint(dir);
  if (encoder.config.vocabSize !== vocabSize) throw new Error(`${dir}: the teacher's vocabulary (${encoder.config.vocabSize}) differs from the data stage's (${vocabSize})`);
  return encoder;
}

async function runLatent(ctx: StageContext<DistillParams>, tokenizer: WordPieceTokenizer, teacher: Encoder) {
  const p = ctx.params;
  const texts = p.corpus.flatMap((c) => (c === 'augmented' ? ctx.dataset('augment', 'augmented.arrow') : ctx.dataset('data', `${c}.arrow`)).rows.map((r) => r.text));
  const corpus = p.max_rows > 0 ? texts.slice(0, p.max_rows) : texts;
  const valid = ctx.dataset('data', 'valid.arrow').rows.slice(0, 1000).map((r) => r.text);
  const student = startingStudent(ctx, tokenizer.size, 0, teacher);
  ctx.log.info(`latent distillation: ${countParams(student.params)} student parameters, ${corpus.length} texts (${p.corpus.join(' + ')}), relation heads ${p.latent.relation_heads}`);
  const task = latentTask({ teacher, student, tokenizer, texts: corpus, validTexts: valid, latent: p.latent, batchSize: p.training.batch_size });
  const result = await train(student.params, [...student.params.keys()], task, trainingConfigFrom(p.training, deriveSeed(ctx.seed, `${ctx.stage}-train`)), ctx.log, ctx.stage, ctx.resume('train', p.training.checkpoint_every));
  saveCheckpoint(path.join(ctx.outDir, 'checkpoint'), student, [], tokenizer.vocab, readTokenizerSpec(ctx.input('data')));
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { objective: 'latent', valid: result.best });
  writeJsonAtomic(path.join(ctx.outDir, 'curves.json'), { curve: result.curve, evals: result.evals, best: result.best });
  const params = countParams(student.params);
  const model = modelShape(student.config);
  student.dispose();
  return { objective: 'latent', model, params, steps: result.steps, samples_per_s: result.samplesPerSecond, valid_latent_loss: result.best?.latent_loss ?? null };
}

async function runTask(ctx: StageContext<DistillParams>, tokenizer: WordPieceTokenizer, teacher: Encoder | null) {
  const p = ctx.params;
  const valid = ctx.dataset('data', 'valid.arrow');
  const labels = valid.labels;
  if (isMultiLabel(valid.rows)) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}: task distillation is single-label (softmax soft labels); a multi-label dataset serves its teacher (quantize it directly)`);
  if (!ctx.inputs.teacher && (p.alpha > 0 || p.latent.weight > 0 || p.search || p.wide_from_teacher)) {
    throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}: without input teacher only the student-alone baseline runs: set alpha: 0 and latent: { weight: 0 } (and no search or wide_from_teacher), or add inputs.teacher`);
  }
  let set = distillSet({ read: (role, file) => ctx.dataset(role, file), teacherDir: ctx.inputs.teacher, hasAugment: !!ctx.inputs.augment, useAugmented: p.use_augmented, useUnlabeled: p.use_unlabeled, recordRead: ctx.recordRead, tableOutOfFold: p.wide_from_teacher });
  if (set.tableOutOfFold) ctx.log.info(`the student's encoder trains beside the teacher's out-of-fold table logits on the ${set.parts.train} training rows`);
  // the student's own table fitted in closed form before its encoder trains (config.ts rules out a search, so the
  // stage trains one student)
  let tableFit: StudentTableResult['summary'] | null = null;
  const trainOnce = async (alpha: number, temperature: number, overrides: { lr?: number; maxSteps?: number }, label: string, resume: boolean) => {
    const student = startingStudent(ctx, tokenizer.size, labels.length, teacher);
    const fit = p.student_wide?.fit;
    if (fit) {
      const r = fitStudentTable(student, tokenizer, set, valid.rows, labels, fit, deriveSeed(ctx.seed, `${ctx.stage}-cross-fit`), ctx.log);
      set = r.set;
      tableFit = r.summary;
    }
    const task = taskDistillTask({ student, teacher, tokenizer, set, valid: valid.rows, labels, batchSize: p.training.batch_size, alpha, temperature, latent: p.latent });
    const cfg = { ...trainingConfigFrom(p.training, deriveSeed(ctx.seed, `${ctx.stage}-train`)), ...overrides };
    const result = await train(student.params, [...student.params.keys()], task, cfg, ctx.log, label, resume ? ctx.resume('train', p.training.checkpoint_every) : undefined);
    return { student, result };
  };

  let alpha = p.alpha;
  let temperature = p.temperature;
  let lr = p.training.lr;
  let trials: Trial[] = [];
  if (p.search) {
    const s = p.search;
    const configs = searchGrid(s.alpha, s.temperature, s.lr ?? [p.training.lr], s.trials, deriveSeed(ctx.seed, `${ctx.stage}-search`));
    const search = await runSearch(configs, s, async (c, steps, label) => {
      const { student, result } = await trainOnce(c.alpha, c.temperature, { lr: c.lr, maxSteps: steps }, label, false);
      student.dispose();
      if (!result.best) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params.search: a trial of ${steps} steps made no evaluation on valid; raise search.steps or set training.eval_every`);
      return { accuracy: result.best.accuracy, macro_f1: result.best.macro_f1 };
    });
    trials = search.trials;
    ({ alpha, temperature, lr } = search.best);
    writeJsonAtomic(path.join(ctx.outDir, 'search.json'), { method: s.method, eta: s.eta, steps: s.steps, trials, best: search.best });
    ctx.log.info(`search (${s.method}, ${trials.length} trials): best α=${alpha} T=${temperature} lr=${lr}, valid accuracy ${(100 * search.best.valid_accuracy!).toFixed(2)}`);
  }

  ctx.log.info(`task distillation: ${set.rows.length} rows (${Object.entries(set.parts).map(([k, v]) => `${k} ${v}`).join(', ')}), α=${alpha} T=${temperature}, latent weight ${teacher ? p.latent.weight : 0}`);
  const { student, result } = await trainOnce(alpha, temperature, { lr }, ctx.stage, true);
  const mix = hasWide(student.config) ? mixHeads(ctx.log, student, tokenizer, valid.rows, p.encoder_weight) : null;
  saveCheckpoint(path.join(ctx.outDir, 'checkpoint'), student, labels, tokenizer.vocab, readTokenizerSpec(ctx.input('data')));
  // valid logits: the quantize stage checks its FP32 export against them (the test split is the final evaluation's)
  const { metrics, logits } = evaluateClassifier(classifierHead(student), tokenizer, valid.rows, labels);
  writeLogits(path.join(ctx.outDir, 'logits', 'valid.arrow'), valid.rows.map((r) => r.id), logits, labels.length);
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { objective: 'task', alpha, temperature, lr, rows: set.parts, best: result.best, valid: metrics });
  writeJsonAtomic(path.join(ctx.outDir, 'curves.json'), { curve: result.curve, evals: result.evals, best: result.best });
  ctx.log.info(`student valid accuracy ${(100 * metrics.accuracy).toFixed(2)}, macro-F1 ${(100 * metrics.macro_f1).toFixed(2)}`);
  const params = countParams(student.params);
  const wideParams = tableParams(student);
  const model = modelShape(student.config);
  student.dispose();
  return { objective: 'task', model, params, params_table: wideParams, params_encoder: params - wideParams, alpha, temperature, steps: result.steps, samples_per_s: result.samplesPerSecond, valid_accuracy: metrics.accuracy, valid_macro_f1: metrics.macro_f1, trials: trials.length, ...(p.search ? { lr, search: trials } : {}), ...(mix ? { encoder_weight: mix.encoder_weight, encoder_weights_tried: mix.tried } : {}), ...(tableFit ?? {}) };
}

export async function runDistill(ctx: StageContext<DistillParams>) {
  await selectBackend(ctx.backend);
  const backend = describeBackend();
  const tokenizer = loadTokenizer(ctx.input('data')).tokenizer;
  const teacher = loadTeacher(ctx, tokenizer.size);
  try {
    const summary = ctx.params.objective === 'latent' ? await runLatent(ctx, tokenizer, teacher!) : await runTask(ctx, tokenizer, teacher);
    return { backend, summary };
  } finally {
    teacher?.dispose();
  }
}

export const distillStage: StageDefinition<typeof paramsSchema> = { kind: 'distill', schema: paramsSchema, run: runDistill };
