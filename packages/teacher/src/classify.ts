/**
 * The classification modes, on the labeled training split, from scratch or from `init`:
 * - `finetune`: the classifier on [CLS], every weight trained;
 * - `prompt`: cloze prompt + verbalizer over the MLM head (PET), every weight trained;
 * - `prefix`: prefix tuning (P-tuning v2): only the per-layer prefixes and the classifier train.
 * Writes logits for every split (and the augmented rows, for data distillation) and a naive Bayes baseline beside it.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { argmaxRows, chooseThresholds, classificationMetrics, deriveSeed, isMultiLabel, labelSets, multiLabelMetrics, loadTokenizer, readTokenizerSpec, Rng, stageDir, WordPieceTokenizer, writeJsonAtomic, writeLogits, type Example, type StageContext, type TrainingParams, type WideParams } from '@distill/core';
import {
  batchLabels,
  batchMultiHot,
  binaryCrossEntropy,
  buildVerbalizer,
  Encoder,
  evaluateMultiLabel,
  classifierHead,
  classifierTask,
  countParams,
  describeBackend,
  crossEntropy,
  evaluateClassifier,
  initPrefix,
  predictLogits,
  prefixFrom,
  prefixHead,
  promptHead,
  saveCheckpoint,
  savePrefix,
  selectBackend,
  train,
  trainedParams,
  trainingConfigFrom,
  groupTokens,
  maskGroups,
  mlmLoss,
  batchTargets,
  padBatch,
  hasWide,
  wideShape,
  withWide,
  encoderOnlyHead,
  stackedHead,
  modelShape,
  mixHeads,
  fitWide,
  fitWideNaiveBayes,
  logisticReport,
  type FitWideData,
  type TrainResult,
  type TrainingConfig,
  type TrainTask,
  type ClassificationHead,
  type Params,
  snapshotParams,
  restoreParams,
} from '@distill/model';
import type { ClassifyParams } from './config';
import { startingEncoder } from './init';
import { verbalizerWords } from './label-file';
import { labelPrior, selfTrain, udaPairs, withUda, type UdaPair } from './semi-supervised';
import { fitNaiveBayes } from './naive-bayes';

type WideFitParams = NonNullable<WideParams['fit']>;
type AdamWideFit = Extract<WideFitParams, { method: 'adam' }>;

/** The head for the mode, the parameters the loop sees, and which of them train. */
function buildHead(ctx: StageContext<ClassifyParams>, p: ClassifyParams, encoder: Encoder, tokenizer: WordPieceTokenizer, labels: string[]): { head: ClassificationHead; params: Params; trainable: string[] } {
  const all = [...encoder.params.keys()];
  if (p.mode === 'finetune') return { head: classifierHead(encoder), params: encoder.params, trainable: all };
  if (p.mode === 'prompt') {
    const verbalizer = buildVerbalizer(p.template, verbalizerWords(ctx), labels, tokenizer);
    return { head: promptHead(encoder, verbalizer, tokenizer.maskId), params: encoder.params, trainable: all };
  }
  const prefixParams = initPrefix(encoder.config, p.prefix_length, deriveSeed(ctx.seed, `${ctx.stage}-prefix`));
  const params: Params = new Map([...encoder.params, ...prefixParams]);
  const trainable = [...prefixParams.keys(), ...all.filter((n) => n.startsWith('classifier.'))];
  return { head: prefixHead(encoder, prefixFrom(prefixParams, encoder.config.numLayers)), params, trainable };
}

/**
 * The wide table fit's training config (`wide.fit`): the stage's training params with the fit's epochs and learning
 * rate, and no step cap. The teacher stage and bench:wide both build it here.
 */
export function wideFitConfig(training: TrainingParams, fit: Pick<AdamWideFit, 'epochs' | 'lr'>, seed: number): TrainingConfig {
  return { ...trainingConfigFrom(training, seed), epochs: fit.epochs, maxSteps: 0, wideLr: fit.lr };
}

/** What the wide table's fit alone reports: metrics.json's summary keys, and curves.json's `wide_fit` (Adam only). */
interface WideFitReport {
  summary: Record<string, number | string | boolean>;
  /** cross-fitting: per training row, the table's logits from a table fitted without that row's fold */
  outOfFold?: Float32Array;
  curves?: Pick<TrainResult, 'curve' | 'evals' | 'best'>;
}

/** Fits the wide table alone before the encoder trains beside it (params.wide.fit). */
async function fitWideTable(ctx: StageContext<ClassifyParams>, encoder: Encoder, fit: WideFitParams, data: FitWideData): Promise<WideFitReport> {
  if (fit.method === 'naive_bayes') {
    const crossFit = fit.cross_fit >= 2 ? { folds: fit.cross_fit, seed: deriveSeed(ctx.seed, `${ctx.stage}-cross-fit`) } : undefined;
    const r = fitWideNaiveBayes(encoder, data, { alphas: fit.alpha, logistic: fit.logistic, crossFit }, ctx.log);
    const lr = logisticReport(r);
    ctx.log.info(`wide table fit alone (naive Bayes): alpha ${r.alpha}, valid accuracy ${(100 * r.valid_accuracy).toFixed(2)}${lr.text}, scale ${r.scale.toFixed(3)}, train rows counted, ${r.used_buckets} buckets used, ${r.seconds.toFixed(0)} s`);
    const oof: Record<string, number> = r.out_of_fold_accuracy !== undefined ? { wide_fit_cross_fit: fit.cross_fit, wide_fit_out_of_fold_accuracy: r.out_of_fold_accuracy } : {};
    return { summary: { wide_fit_method: 'naive_bayes', wide_fit_valid_accuracy: r.valid_accuracy, wide_fit_alpha: r.alpha, ...lr.summary, wide_fit_scale: r.scale, ...oof }, outOfFold: r.out_of_fold };
  }
  const cfg = wideFitConfig(ctx.params.training, fit, deriveSeed(ctx.seed, `${ctx.stage}-wide-fit`));
  const result = await fitWide(encoder, data, cfg, ctx.log, `${ctx.stage}-wide`);
  ctx.log.info(`wide table fit alone: ${result.steps} steps, best valid accuracy ${(100 * (result.best?.score ?? 0)).toFixed(2)} (step ${result.best?.step ?? '-'}), ${result.seconds.toFixed(0)} s`);
  const summary = { wide_fit_method: 'adam', ...(result.best ? { wide_fit_valid_accuracy: result.best.score, wide_fit_steps: result.steps } : {}) };
  return { summary, curves: { curve: result.curve, evals: result.evals, best: result.best } };
}

/**
 * What the final evaluation scores a prompt teacher with on test: this stage's checkpoint, template and verbalizer
 * words, no centre (serve's cloze scorer gives the same scores as the prompt head).
 */
function promptBaseline(ctx: StageContext<ClassifyParams>, template: string, numLabels: number, valid: { accuracy: number; macro_f1: number }) {
  return {
    name: 'prompt',
    role: 'baseline',
    format: 'prompt',
    description: `the prompt-tuned checkpoint's verbalizer scores in '${template}'`,
    // the directory this stage's output becomes (ctx.outDir is renamed to it on success)
    checkpoint: path.relative(ctx.root, path.join(stageDir(ctx.root, ctx.pipeline.name, ctx.stage), 'checkpoint')),
    template,
    label_words: verbalizerWords(ctx),
    centre: new Array<number>(numLabels).fill(0),
    split: 'valid',
    accuracy: valid.accuracy,
    macro_f1: valid.macro_f1,
  };
}

/** Training rows' logits as encoder (after mixing) + each row's out-of-fold table logits, with their metrics. */
function honestTrainLogits(encoder: Encoder, tokenizer: WordPieceTokenizer, rows: readonly Example[], labels: readonly string[], outOfFold: Float32Array) {
  const logits = predictLogits(encoderOnlyHead(encoder), tokenizer, rows.map((r) => r.text)).map((x, i) => x + outOfFold[i]);
  return { logits, metrics: classificationMetrics(rows.map((r) => r.label), argmaxRows(logits, labels.length), labels) };
}

/**
 * Multi-task fine-tuning (PALM): every step adds weight × masked-LM loss on a batch of unlabeled text. The batch and
 * its masks are drawn from the step's seed, so a resumed run sees the same ones.
 */
function withAuxMlm(task: TrainTask, encoder: Encoder, tokenizer: WordPieceTokenizer, texts: readonly string[], aux: { weight: number; probability: number }, batchSize: number): TrainTask {
  if (!texts.length) throw new Error('aux_mlm needs unlabeled text from the data stage');
  const groups = texts.map((t) => groupTokens(tokenizer, [t], false));
  const mask = { probability: aux.probability, maxLength: encoder.config.maxPositions, maskId: tokenizer.maskId, padId: tokenizer.padId, clsId: tokenizer.clsId, sepId: tokenizer.sepId, vocabSize: tokenizer.size, firstRegularId: 5 };
  return {
    ...task,
    loss: (batch, seed) => {
      const rng = new Rng(seed ^ 0xa11c);
      const examples = Array.from({ length: batchSize }, () => maskGroups(groups[rng.int(groups.length)], rng, mask));
      const mlmBatch = padBatch(examples.map((e, index) => ({ index, ids: e.ids })), tokenizer.padId);
      const mlm = mlmLoss(encoder, mlmBatch, batchTargets(mlmBatch, examples), true, seed).loss;
      return task.loss(batch, seed).add(mlm.mul(aux.weight)) as tf.Scalar;
    },
  };
}

/**
 * What a multi-label dataset trains with: `finetune` (a sigmoid per label, binary cross-entropy), without the wide
 * table, whose fits (naive Bayes, softmax logistic regression) are single-label.
 */
function checkMultiLabel(ctx: StageContext<ClassifyParams>): void {
  const where = `${ctx.pipeline.file}: stages.${ctx.stage}.params`;
  if (ctx.params.mode !== 'finetune') throw new Error(`${where}.mode: '${ctx.params.mode}' is single-label; a multi-label dataset trains with mode finetune`);
  if (ctx.params.wide) throw new Error(`${where}.wide: the wide n-gram table is single-label; remove it for a multi-label dataset`);
  if (ctx.params.label_unlabeled || ctx.inputs.augment) throw new Error(`${where}: soft labels for data distillation (label_unlabeled, an augment input) are single-label; remove them for a multi-label dataset`);
  if (ctx.params.uda || ctx.params.self_training) throw new Error(`${where}: uda and self_training are single-label; remove them for a multi-label dataset`);
}

/** The unlabeled texts paired with their variants from input `uda` (an augment stage's augmented-unlabeled.arrow). */
function udaInputs(ctx: StageContext<ClassifyParams>, head: ClassificationHead, tokenizer: WordPieceTokenizer): UdaPair[] {
  if (!ctx.inputs.uda) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params.uda needs inputs.uda: an augment stage with splits: [unlabeled]`);
  const ds = ctx.dataset('uda', 'augmented-unlabeled.arrow');
  const pairs = udaPairs(head, tokenizer, ds.rows, ds.arrow.strings('origin_id'), ds.arrow.strings('strategy'));
  ctx.log.info(`uda: ${pairs.length} unlabeled texts with augmented variants`);
  return pairs;
}

export async function runClassify(ctx: StageContext<ClassifyParams>) {
  const p = ctx.params;
  if (p.training.epochs === 0 && !p.init) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params.training.epochs: 0 trains nothing, so the model needs init (a fine-tuned stage or checkpoint to take as it is)`);
  await selectBackend(ctx.backend);
  const backend = describeBackend();
  ctx.log.info(`tfjs backend: ${backend}`);
  const dataDir = ctx.input('data');
  const tokenizer = loadTokenizer(dataDir).tokenizer;
  const trainSet = ctx.dataset('data', 'train.arrow');
  const valid = ctx.dataset('data', 'valid.arrow');
  const labels = trainSet.labels;

  const multiLabel = isMultiLabel(trainSet.rows);
  if (multiLabel) checkMultiLabel(ctx);
  // the baseline's test score is the final evaluation's (serve); here it is scored on valid
  let baseline = null;
  if (p.naive_bayes.enabled && multiLabel) ctx.log.info('naive Bayes baseline: single-label only, skipped for this multi-label dataset');
  if (p.naive_bayes.enabled && !multiLabel) {
    const unlabeled = p.naive_bayes.em ? ctx.dataset('data', 'unlabeled.arrow').rows.map((r) => r.text) : null;
    baseline = fitNaiveBayes(ctx.log, p.naive_bayes, trainSet.rows, valid.rows, unlabeled, labels).baseline;
    // a prompt teacher's baseline.json describes the prompt model itself (written below)
    if (p.mode !== 'prompt') writeJsonAtomic(path.join(ctx.outDir, 'baseline.json'), baseline);
    ctx.log.info(`naive Bayes baseline: valid accuracy ${(100 * baseline.accuracy).toFixed(2)}, macro-F1 ${(100 * baseline.macro_f1).toFixed(2)}`);
  }

  const auxMlm = p.mode === 'finetune' ? p.aux_mlm : undefined;
  let encoder = startingEncoder(ctx, p.model, p.init, tokenizer.vocab, p.mode === 'prompt' ? [] : labels, p.mode === 'prompt' || !!auxMlm, p.embeddings);
  if (multiLabel) encoder = new Encoder({ ...encoder.config, problemType: 'multi_label_classification' }, encoder.params);
  const wide = p.mode === 'finetune' ? p.wide : undefined;
  if (wide && !hasWide(encoder.config)) {
    if (!wide.fit && p.training.wide_lr === 0) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params: wide with training.wide_lr 0 and no wide.fit leaves the table at zero; add wide.fit or a wide_lr above 0`);
    encoder = withWide(encoder, { buckets: wide.buckets, maxN: wide.max_n, pooling: wide.pooling });
    ctx.log.info(`wide part: ${wide.buckets} buckets of token 1..${wide.max_n}-grams, ${wide.pooling} pooling, learning rate ${p.training.wide_lr}`);
  } else if (wide) {
    const s = wideShape(encoder.config)!;
    ctx.log.warn(`params.wide: the starting checkpoint has a wide part already (${s.buckets} buckets, n ≤ ${s.maxN}, ${s.pooling} pooling); that one is used`);
  }
  const wideFit = wide?.fit ? await fitWideTable(ctx, encoder, wide.fit, { tokenizer, train: trainSet.rows, valid: valid.rows, labels }) : null;
  const { head, params: trainParams, trainable } = buildHead(ctx, p, encoder, tokenizer, labels);
  const total = countParams(trainParams);
  const trainableCount = trainedParams(trainable, p.training.wide_lr).reduce((a, n) => a + trainParams.get(n)!.size, 0);
  const params = countParams(encoder.params);
  ctx.log.info(`${p.mode}: ${total} parameters, ${trainableCount} trainable (${((100 * trainableCount) / total).toFixed(2)}%), ${trainSet.rows.length} training rows`);
  // stacking: with out-of-fold table logits, the encoder trains beside what the table gives on text it has not seen
  // (the served table, fitted on every training row, gives near-perfect logits on them and would leave nothing to learn)
  const outOfFold = wideFit?.outOfFold;
  const trainHead: ClassificationHead = outOfFold ? stackedHead(encoder, outOfFold) : head;
  if (outOfFold) ctx.log.info(`the encoder trains beside out-of-fold table logits; valid is scored with the full table`);
  const classification = classifierTask({
    head: trainHead,
    evalHead: head,
    tokenizer,
    train: trainSet.rows,
    valid: valid.rows,
    labels,
    batchSize: p.training.batch_size,
    loss: (logits, batch) => (multiLabel ? binaryCrossEntropy(logits, batchMultiHot(trainSet.rows, batch, labels.length)) : crossEntropy(logits, batchLabels(trainSet.rows, batch))),
    multiLabel,
  });
  if ((p.uda || p.self_training) && outOfFold) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params: uda and self_training train the model alone, not beside a cross-fitted table (wide.fit cross_fit); use one or the other`);
  // what every training run of the stage adds to its task (the first, and each self-training round): the auxiliary
  // masked-LM loss and the consistency term, each built once
  const unlabeledTexts = auxMlm || p.self_training ? ctx.dataset('data', 'unlabeled.arrow').rows.map((r) => r.text) : [];
  const uda = p.uda ? { pairs: udaInputs(ctx, head, tokenizer), prior: labelPrior(trainSet.rows, labels.length), params: p.uda } : null;
  const withExtras = (t: TrainTask): TrainTask => {
    const withMlm = auxMlm ? withAuxMlm(t, encoder, tokenizer, unlabeledTexts, auxMlm, p.training.batch_size) : t;
    return uda ? withUda(withMlm, head, uda.pairs, uda.params, tokenizer.padId, uda.prior) : withMlm;
  };
  const trainingConfig = trainingConfigFrom(p.training, deriveSeed(ctx.seed, `${ctx.stage}-train`));
  const result = await train(trainParams, trainable, withExtras(classification), trainingConfig, ctx.log, ctx.stage, ctx.resume('train', p.training.checkpoint_every));
  const selfTraining = p.self_training
    ? await selfTrain(
        p.self_training,
        head,
        tokenizer,
        trainSet.rows,
        unlabeledTexts,
        result.best?.score ?? evaluateClassifier(head, tokenizer, valid.rows, labels).metrics.accuracy,
        async (rows, round) => {
          const roundTask = classifierTask({ head, tokenizer, train: rows, valid: valid.rows, labels, batchSize: p.training.batch_size, loss: (logits, batch) => crossEntropy(logits, batchLabels(rows, batch)) });
          const r = await train(trainParams, trainable, withExtras(roundTask), { ...trainingConfig, epochs: p.self_training!.epochs, seed: deriveSeed(ctx.seed, `${ctx.stage}-self-training-${round}`) }, ctx.log, `${ctx.stage}-st${round}`);
          return r.best?.score ?? 0;
        },
        { snapshot: () => snapshotParams(trainParams, trainable), restore: (snap) => restoreParams(trainParams, snap as Map<string, Float32Array>) },
        deriveSeed(ctx.seed, `${ctx.stage}-self-training`),
        ctx.log,
      )
    : null;

  // which part earns the accuracy, on valid (the table alone, the encoder alone, both as trained), and the encoder's
  // weight against the table
  const mix = p.mode === 'finetune' && wide && hasWide(encoder.config) ? mixHeads(ctx.log, encoder, tokenizer, valid.rows, wide.encoder_weight) : null;
  const components = mix?.components ?? null;
  saveCheckpoint(path.join(ctx.outDir, 'checkpoint'), encoder, p.mode === 'prompt' ? [] : labels, tokenizer.vocab, readTokenizerSpec(dataDir));
  if (p.mode === 'prefix') savePrefix(path.join(ctx.outDir, 'checkpoint'), trainParams);
  const logitsDir = path.join(ctx.outDir, 'logits');
  const metrics: Record<string, unknown> = {};
  // multi-label: one threshold per label, chosen on valid; both splits are scored at them
  const probs = multiLabel ? { train: evaluateMultiLabel(head, tokenizer, trainSet.rows, labels), valid: evaluateMultiLabel(head, tokenizer, valid.rows, labels) } : null;
  const thresholds = probs ? chooseThresholds(labelSets(valid.rows), probs.valid.probs, labels.length) : null;
  for (const [name, ds] of Object.entries({ train: trainSet, valid })) {
    if (probs && thresholds) {
      const split = probs[name as 'train' | 'valid'];
      writeLogits(path.join(logitsDir, `${name}.arrow`), ds.rows.map((r) => r.id), split.logits, labels.length);
      metrics[name] = { ...multiLabelMetrics(labelSets(ds.rows), split.probs, thresholds, labels), thresholds };
      continue;
    }
    // with cross-fitting, a training row's logits take the table's from the fold that did not count it: the teacher's
    // honest prediction, which students learn from, rather than the full table's memory of the row's label
    const { metrics: m, logits } = name === 'train' && outOfFold ? honestTrainLogits(encoder, tokenizer, ds.rows, labels, outOfFold) : evaluateClassifier(head, tokenizer, ds.rows, labels);
    writeLogits(path.join(logitsDir, `${name}.arrow`), ds.rows.map((r) => r.id), logits, labels.length);
    metrics[name] = m;
  }
  // a student that takes this table trains its encoder beside the same out-of-fold table logits (stacking)
  if (outOfFold) writeLogits(path.join(logitsDir, 'train-table-oof.arrow'), trainSet.rows.map((r) => r.id), outOfFold, labels.length);
  // soft labels for data distillation: augmented rows, and unlabeled text when asked
  const extra: [string, string][] = [];
  if (ctx.inputs.augment) extra.push(['augmented', 'augment']);
  if (p.label_unlabeled) extra.push(['unlabeled', 'data']);
  for (const [name, role] of extra) {
    const ds = ctx.dataset(role, `${name}.arrow`);
    // augmented.arrow keeps each original row beside its variants; those already have logits in train.arrow
    const strategy = name === 'augmented' ? ds.arrow.strings('strategy') : null;
    const rows = strategy ? ds.rows.filter((_, i) => strategy[i] !== 'original') : ds.rows;
    const logits = predictLogits(head, tokenizer, rows.map((r) => r.text));
    writeLogits(path.join(logitsDir, `${name}.arrow`), rows.map((r) => r.id), logits, labels.length);
  }
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), metrics);
  if (p.mode === 'prompt') writeJsonAtomic(path.join(ctx.outDir, 'baseline.json'), promptBaseline(ctx, p.template, labels.length, metrics.valid as { accuracy: number; macro_f1: number }));
  writeJsonAtomic(path.join(ctx.outDir, 'curves.json'), { curve: result.curve, evals: result.evals, best: result.best, ...(wideFit?.curves ? { wide_fit: wideFit.curves } : {}) });
  const validM = metrics.valid as { accuracy?: number; macro_f1: number; micro_f1?: number; subset_accuracy?: number };
  const shape = modelShape(encoder.config);
  const scores = multiLabel
    ? `micro-F1 ${(100 * validM.micro_f1!).toFixed(2)}, macro-F1 ${(100 * validM.macro_f1).toFixed(2)}, subset accuracy ${(100 * validM.subset_accuracy!).toFixed(2)} (thresholds chosen on valid)`
    : `accuracy ${(100 * validM.accuracy!).toFixed(2)}, macro-F1 ${(100 * validM.macro_f1).toFixed(2)}`;
  ctx.log.info(`${p.mode} teacher valid ${scores}${result.steps ? `; ${result.samplesPerSecond.toFixed(1)} samples/s` : ''}`);
  encoder.dispose();
  return {
    backend,
    summary: {
      mode: p.mode,
      model: shape,
      params,
      trainable_params: trainableCount,
      trainable_share: trainableCount / total,
      steps: result.steps,
      samples_per_s: result.samplesPerSecond,
      ...(multiLabel ? { problem_type: 'multi_label_classification', valid_micro_f1: validM.micro_f1, valid_subset_accuracy: validM.subset_accuracy, thresholds } : { valid_accuracy: validM.accuracy }),
      valid_macro_f1: validM.macro_f1,
      ...(baseline ? { naive_bayes_valid_accuracy: baseline.accuracy } : {}),
      ...(components ? { valid_components: components } : {}),
      ...(mix ? { encoder_weight: mix.encoder_weight, encoder_weights_tried: mix.tried } : {}),
      ...(wideFit?.summary ?? {}),
      ...(selfTraining ? { self_training: selfTraining } : {}),
    },
  };
}
