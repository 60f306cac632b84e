/**
 * `mode: finetune`: a classifier on the labeled training split, from scratch or from `init`; writes logits for every
 * split (and the augmented rows, for data distillation) and, beside it, a naive Bayes baseline.
 */
import * as path from 'node:path';
import { meanStd, percentile, readDataset, WordPieceTokenizer, writeJsonAtomic, writeLogits, deriveSeed, type Example, type StageContext } from '@distill/core';
import { batchLabels, classifierTask, countParams, crossEntropy, evaluateClassifier, predictLogits, saveCheckpoint, selectBackend, train, trainingConfigFrom } from '@distill/model';
import type { FinetuneParams } from './config';
import { startingEncoder } from './init';
import { NaiveBayes } from './naive-bayes';

function naiveBayesBaseline(p: FinetuneParams['naive_bayes'], train: readonly Example[], test: readonly Example[], labels: readonly string[]) {
  const nb = NaiveBayes.train(train, labels.length, p.ngram_max, p.alpha);
  const metrics = nb.evaluate(test, labels);
  const times = test.slice(0, 200).map((r) => {
    const t0 = process.hrtime.bigint();
    nb.scores(r.text);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  });
  const { mean, std } = meanStd(times);
  return {
    name: 'naive-bayes',
    role: 'baseline' as const,
    format: 'naive-bayes',
    description: `multinomial naive Bayes, character 1-${p.ngram_max}-grams, alpha ${p.alpha}`,
    accuracy: metrics.accuracy,
    macro_f1: metrics.macro_f1,
    params: nb.numParams,
    /** as float32 parameters */
    size_bytes: nb.numParams * 4,
    latency_ms: { p50: percentile(times, 50), p99: percentile(times, 99), mean, std },
    metrics,
  };
}

export async function runFinetune(ctx: StageContext<FinetuneParams>) {
  const p = ctx.params;
  const backend = await selectBackend(ctx.backend);
  ctx.log.info(`tfjs backend: ${backend}`);
  const dataDir = ctx.input('data');
  const tokenizer = WordPieceTokenizer.fromFile(path.join(dataDir, 'vocab.txt'));
  const trainSet = readDataset(path.join(dataDir, 'train.arrow'));
  const valid = readDataset(path.join(dataDir, 'valid.arrow'));
  const test = readDataset(path.join(dataDir, 'test.arrow'));
  const labels = trainSet.labels;

  let baseline = null;
  if (p.naive_bayes.enabled) {
    baseline = naiveBayesBaseline(p.naive_bayes, trainSet.rows, test.rows, labels);
    writeJsonAtomic(path.join(ctx.outDir, 'baseline.json'), baseline);
    ctx.log.info(`naive Bayes baseline: test accuracy ${(100 * baseline.accuracy).toFixed(2)}, macro-F1 ${(100 * baseline.macro_f1).toFixed(2)}`);
  }

  const encoder = startingEncoder(ctx, p.model, p.init, tokenizer.size, labels.length, false);
  const params = countParams(encoder.params);
  ctx.log.info(`teacher: ${params} parameters, ${trainSet.rows.length} training rows`);
  const task = classifierTask({
    encoder,
    tokenizer,
    train: trainSet.rows,
    valid: valid.rows,
    labels,
    batchSize: p.training.batch_size,
    loss: (logits, batch) => crossEntropy(logits, batchLabels(trainSet.rows, batch)),
  });
  const result = await train(encoder.params, [...encoder.params.keys()], task, trainingConfigFrom(p.training, deriveSeed(ctx.seed, `${ctx.stage}-train`)), ctx.log, ctx.stage, ctx.resume('train', p.training.checkpoint_every));

  saveCheckpoint(path.join(ctx.outDir, 'checkpoint'), encoder, labels, tokenizer.vocab);
  const logitsDir = path.join(ctx.outDir, 'logits');
  const metrics: Record<string, unknown> = {};
  for (const [name, ds] of Object.entries({ train: trainSet, valid, test })) {
    const { metrics: m, logits } = evaluateClassifier(encoder, tokenizer, ds.rows, labels);
    writeLogits(path.join(logitsDir, `${name}.arrow`), ds.rows.map((r) => r.id), logits, labels.length);
    metrics[name] = m;
  }
  if (ctx.inputs.augment) {
    const aug = readDataset(path.join(ctx.input('augment'), 'augmented.arrow'));
    const logits = predictLogits(encoder, tokenizer, aug.rows.map((r) => r.text), encoder.config.maxPositions);
    writeLogits(path.join(logitsDir, 'augmented.arrow'), aug.rows.map((r) => r.id), logits, labels.length);
  }
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), metrics);
  writeJsonAtomic(path.join(ctx.outDir, 'curves.json'), { curve: result.curve, evals: result.evals, best: result.best });
  const testM = metrics.test as { accuracy: number; macro_f1: number };
  ctx.log.info(`teacher test accuracy ${(100 * testM.accuracy).toFixed(2)}, macro-F1 ${(100 * testM.macro_f1).toFixed(2)}; ${result.samplesPerSecond.toFixed(1)} samples/s`);
  encoder.dispose();
  return {
    backend,
    summary: {
      params,
      steps: result.steps,
      samples_per_s: result.samplesPerSecond,
      test_accuracy: testM.accuracy,
      test_macro_f1: testM.macro_f1,
      ...(baseline ? { naive_bayes_test_accuracy: baseline.accuracy } : {}),
    },
  };
}
