/** The teacher's starting model: fresh from `model`, or the weights of `init` (an upstream stage or a checkpoint directory). */
import * as path from 'node:path';
import { deriveSeed, type EncoderParams, type StageContext } from '@distill/core';
import { Encoder, encoderConfigFrom, loadCharVectors, loadCheckpoint, warmStartEmbeddings } from '@distill/model';
import type { EmbeddingsParams, InitParams } from './config';

export function initCheckpointDir(ctx: StageContext<unknown>, init: InitParams): string {
  return init.input ? path.join(ctx.input(init.input), 'checkpoint') : ctx.path(init.path!);
}

/** `labels`: the classifier's labels in the data's order ([] for none). */
export function startingEncoder(ctx: StageContext<unknown>, model: EncoderParams, init: InitParams | undefined, vocab: readonly string[], labels: readonly string[], mlmHead: boolean, embeddings?: EmbeddingsParams): Encoder {
  const seed = deriveSeed(ctx.seed, `${ctx.stage}-init`);
  const vocabSize = vocab.length;
  const numLabels = labels.length;
  if (!init) {
    const encoder = Encoder.create(encoderConfigFrom(model, vocabSize, numLabels, mlmHead), seed);
    if (embeddings) {
      const vectors = loadCharVectors(ctx.path(embeddings.file), ctx.path(embeddings.vocab), embeddings.dim);
      const share = warmStartEmbeddings(encoder, vocab, vectors, deriveSeed(ctx.seed, `${ctx.stage}-projection`));
      ctx.log.info(`word embeddings warm-started from ${embeddings.file}: ${(100 * share).toFixed(1)}% of the vocabulary covered`);
    }
    return encoder;
  }
  if (embeddings) ctx.log.warn('embeddings is ignored: init gives the weights');
  const dir = initCheckpointDir(ctx, init);
  const { encoder, vocab: ckptVocab, notes } = loadCheckpoint(dir, { numLabels, labels, mlmHead, seed });
  if (ckptVocab.length && ckptVocab.length !== vocabSize) throw new Error(`${dir}: its vocabulary has ${ckptVocab.length} tokens, the data stage's has ${vocabSize}; use the same vocabulary (data params vocab.file: ${path.join(dir, 'vocab.txt')})`);
  if (ckptVocab.length && ckptVocab.some((t, i) => t !== vocab[i])) {
    const i = ckptVocab.findIndex((t, j) => t !== vocab[j]);
    throw new Error(`${dir}: its vocabulary differs from the data stage's at id ${i} ('${ckptVocab[i]}' vs '${vocab[i]}'); use the same vocabulary (data params vocab.file: ${path.join(dir, 'vocab.txt')})`);
  }
  for (const note of notes) ctx.log.info(note);
  ctx.log.info(`starting from ${path.relative(ctx.root, dir)} (${encoder.config.numLayers} layers, hidden ${encoder.config.hiddenSize})`);
  return encoder;
}
