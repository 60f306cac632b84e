/** The teacher's starting model: fresh from `model`, or the weights of `init` (an upstream stage or a checkpoint directory). */
import * as path from 'node:path';
import { deriveSeed, type EncoderParams, type StageContext } from '@distill/core';
import { Encoder, encoderConfigFrom, loadCheckpoint } from '@distill/model';
import type { InitParams } from './config';

export function initCheckpointDir(ctx: StageContext<unknown>, init: InitParams): string {
  return init.input ? path.join(ctx.input(init.input), 'checkpoint') : ctx.path(init.path!);
}

export function startingEncoder(ctx: StageContext<unknown>, model: EncoderParams, init: InitParams | undefined, vocabSize: number, numLabels: number, mlmHead: boolean): Encoder {
  const seed = deriveSeed(ctx.seed, `${ctx.stage}-init`);
  if (!init) return Encoder.create(encoderConfigFrom(model, vocabSize, numLabels, mlmHead), seed);
  const dir = initCheckpointDir(ctx, init);
  const { encoder, vocab } = loadCheckpoint(dir, { numLabels, mlmHead, seed });
  if (vocab.length && vocab.length !== vocabSize) throw new Error(`${dir}: its vocabulary has ${vocab.length} tokens, the data stage's has ${vocabSize}; use the same vocabulary`);
  ctx.log.info(`starting from ${path.relative(ctx.root, dir)} (${encoder.config.numLayers} layers, hidden ${encoder.config.hiddenSize})`);
  return encoder;
}
