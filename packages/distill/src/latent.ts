/** The latent objective as a training task: the MiniLMv2 relation loss between one teacher and one student layer. */
import * as tf from '@tensorflow/tfjs';
import { Rng, type WordPieceTokenizer } from '@distill/core';
import { batchTensors, bucketedBatches, encodeAll, type Batch, type Encoder, type EncoderOutput, type ForwardOptions, type TrainTask } from '@distill/model';
import type { LatentParams } from './config';
import { relationLoss, type LayerStates } from './relation-loss';

/** A layer index, negative ones counted from the top (-1 = last). */
export function layerIndex(layer: number, numLayers: number): number {
  const i = layer < 0 ? numLayers + layer : layer;
  if (i < 0 || i >= numLayers) throw new Error(`layer ${layer} does not exist in a ${numLayers}-layer model`);
  return i;
}

export function states(out: EncoderOutput, layer: number): LayerStates {
  return { queries: out.queries[layer], keys: out.keys[layer], values: out.values[layer] };
}

/**
 * The latent loss between the teacher's and the student's outputs on the same batch. The teacher runs without
 * dropout; only the student's variables are differentiated.
 */
export function latentLossOf(teacher: Encoder, teacherOut: EncoderOutput, student: Encoder, studentOut: EncoderOutput, p: LatentParams, attentionMask: tf.Tensor2D): tf.Scalar {
  const tl = layerIndex(p.teacher_layer, teacher.config.numLayers);
  const sl = layerIndex(p.student_layer, student.config.numLayers);
  return relationLoss(states(teacherOut, tl), states(studentOut, sl), p.relation_heads, attentionMask);
}

export function latentLoss(teacher: Encoder, student: Encoder, batch: Batch, p: LatentParams, opts: ForwardOptions): tf.Scalar {
  const inputs = batchTensors(batch);
  return latentLossOf(teacher, teacher.forward(inputs), student, student.forward(inputs, opts), p, inputs.attentionMask);
}

export interface LatentTaskOptions {
  teacher: Encoder;
  student: Encoder;
  tokenizer: WordPieceTokenizer;
  texts: readonly string[];
  validTexts: readonly string[];
  latent: LatentParams;
  batchSize: number;
}

/** Latent distillation on unlabeled text; scored by the (negated) latent loss on held-out text. */
export function latentTask(o: LatentTaskOptions): TrainTask {
  const maxLength = Math.min(o.student.config.maxPositions, o.teacher.config.maxPositions);
  const encoded = encodeAll(o.tokenizer, o.texts, maxLength);
  const validBatches = bucketedBatches(encodeAll(o.tokenizer, o.validTexts, maxLength), 64, o.tokenizer.padId, new Rng(1));
  return {
    epochBatches: (_e, rng) => bucketedBatches(encoded, o.batchSize, o.tokenizer.padId, rng),
    loss: (batch, seed, terms) => {
      const latent = latentLoss(o.teacher, o.student, batch, o.latent, { training: true, seed }).mul(o.latent.weight) as tf.Scalar;
      terms?.('latent', latent);
      return latent;
    },
    evaluate: validBatches.length
      ? () => {
          let sum = 0;
          let rows = 0;
          for (const b of validBatches) {
            sum += tf.tidy(() => latentLoss(o.teacher, o.student, b, o.latent, {}).dataSync()[0]) * b.batch;
            rows += b.batch;
          }
          const loss = sum / rows;
          return { score: -loss, latent_loss: loss };
        }
      : undefined,
  };
}
