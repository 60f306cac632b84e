/**
 * MiniLMv2 self-attention relation distillation (Wang et al. 2021). For each of queries, keys and values of one
 * teacher layer and one student layer: concatenate the heads, split the hidden dimension into R relation heads,
 * and form the scaled dot-product relation softmax(X·Xᵀ / √(d/R)) over positions; the loss is the KL divergence
 * from the teacher's relation to the student's, averaged over relation heads and (unpadded) positions, summed over
 * Q-Q, K-K and V-V. Teacher and student may have different head counts and hidden sizes: R is shared.
 */
import * as tf from '@tensorflow/tfjs';
import { logSoftmax } from '@distill/model';

/** [batch, heads, seq, headSize] → [batch, R, seq, hidden / R] */
export function toRelationHeads(x: tf.Tensor4D, relationHeads: number): tf.Tensor4D {
  const [b, heads, s, d] = x.shape;
  const hidden = heads * d;
  if (hidden % relationHeads !== 0) throw new Error(`relation loss: hidden size ${hidden} is not divisible by ${relationHeads} relation heads`);
  return x.transpose([0, 2, 1, 3]).reshape([b, s, relationHeads, hidden / relationHeads]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
}

/** Log of the relation distribution over key positions: [batch, R, seq, seq], padded keys masked out. */
export function logRelation(x: tf.Tensor4D, relationHeads: number, attentionMask: tf.Tensor2D): tf.Tensor4D {
  const r = toRelationHeads(x, relationHeads);
  const d = r.shape[3];
  const scores = tf.matMul(r, r.transpose([0, 1, 3, 2])).div(Math.sqrt(d));
  const [b, s] = attentionMask.shape;
  const keyBias = tf.sub(1, attentionMask.toFloat()).mul(-1e4).reshape([b, 1, 1, s]);
  return logSoftmax(scores.add(keyBias)) as tf.Tensor4D;
}

/** KL(teacher ‖ student) of one relation, averaged over batch, relation heads and unpadded query positions. */
export function relationKl(teacher: tf.Tensor4D, student: tf.Tensor4D, relationHeads: number, attentionMask: tf.Tensor2D): tf.Scalar {
  const logT = logRelation(teacher, relationHeads, attentionMask);
  const logS = logRelation(student, relationHeads, attentionMask);
  const perRow = logT.exp().mul(logT.sub(logS)).sum(-1); // [batch, R, seq]
  const queryMask = attentionMask.toFloat().reshape([attentionMask.shape[0], 1, attentionMask.shape[1]]);
  return perRow.mul(queryMask).sum().div(queryMask.sum().mul(relationHeads)) as tf.Scalar;
}

export interface LayerStates {
  queries: tf.Tensor4D;
  keys: tf.Tensor4D;
  values: tf.Tensor4D;
}

/** The MiniLMv2 loss: Q-Q + K-K + V-V relation KL between one teacher layer and one student layer. */
export function relationLoss(teacher: LayerStates, student: LayerStates, relationHeads: number, attentionMask: tf.Tensor2D): tf.Scalar {
  return tf.addN([
    relationKl(teacher.queries, student.queries, relationHeads, attentionMask),
    relationKl(teacher.keys, student.keys, relationHeads, attentionMask),
    relationKl(teacher.values, student.values, relationHeads, attentionMask),
  ]) as tf.Scalar;
}
