/** `mode: pretrain`: masked-LM pretraining on the data stage's unlabeled (and training) text. */
import * as path from 'node:path';
import { loadTokenizer, readTokenizerSpec, deriveSeed, segment, writeJsonAtomic, type StageContext } from '@distill/core';
import { countParams, modelShape, describeBackend, groupTokens, mlmTask, saveCheckpoint, selectBackend, train, trainingConfigFrom } from '@distill/model';
import type { PretrainParams } from './config';
import { startingEncoder } from './init';

export async function runPretrain(ctx: StageContext<PretrainParams>) {
  const p = ctx.params;
  await selectBackend(ctx.backend);
  const backend = describeBackend();
  const dataDir = ctx.input('data');
  const tokenizer = loadTokenizer(dataDir).tokenizer;
  const texts = p.corpus.flatMap((split) => ctx.dataset('data', `${split}.arrow`).rows.map((r) => r.text));
  const validTexts = ctx.dataset('data', 'valid.arrow').rows.slice(0, p.valid_rows).map((r) => r.text);
  const words = (t: string) => (p.mlm.whole_word ? segment(t).map((w) => w.w) : [t]);
  const groups = texts.map((t) => groupTokens(tokenizer, words(t), p.mlm.whole_word));
  const valid = validTexts.map((t) => groupTokens(tokenizer, words(t), p.mlm.whole_word));

  const encoder = startingEncoder(ctx, p.model, p.init, tokenizer.vocab, [], true, p.embeddings);
  const params = countParams(encoder.params);
  const model = modelShape(encoder.config);
  ctx.log.info(`pretraining: ${params} parameters, ${groups.length} texts, whole-word masking ${p.mlm.whole_word ? 'on' : 'off'}`);
  const mask = {
    probability: p.mlm.probability,
    maxLength: encoder.config.maxPositions,
    maskId: tokenizer.maskId,
    padId: tokenizer.padId,
    clsId: tokenizer.clsId,
    sepId: tokenizer.sepId,
    vocabSize: tokenizer.size,
    firstRegularId: 5,
  };
  const seed = deriveSeed(ctx.seed, `${ctx.stage}-train`);
  const task = mlmTask({ encoder, groups, valid, mask, batchSize: p.training.batch_size, seed });
  const result = await train(encoder.params, [...encoder.params.keys()], task, trainingConfigFrom(p.training, seed), ctx.log, ctx.stage, ctx.resume('train', p.training.checkpoint_every));
  saveCheckpoint(path.join(ctx.outDir, 'checkpoint'), encoder, [], tokenizer.vocab, readTokenizerSpec(dataDir));
  writeJsonAtomic(path.join(ctx.outDir, 'curves.json'), { curve: result.curve, evals: result.evals, best: result.best });
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { valid: result.best });
  encoder.dispose();
  return { backend, summary: { model, params, steps: result.steps, samples_per_s: result.samplesPerSecond, mlm_accuracy: result.best?.mlm_accuracy ?? null } };
}
