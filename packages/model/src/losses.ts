/** Losses on logits. All return a scalar averaged over the batch. */
import * as tf from '@tensorflow/tfjs';

/** log-softmax over the last axis, written out (wasm has no LogSoftmax kernel). */
export function logSoftmax(logits: tf.Tensor): tf.Tensor {
  const shifted = logits.sub(logits.max(-1, true));
  return shifted.sub(shifted.exp().sum(-1, true).log());
}

/** Cross-entropy with integer labels (hard-label loss). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const k = logits.shape[1];
  return logSoftmax(logits).mul(tf.oneHot(labels.toInt(), k)).sum(-1).neg().mean() as tf.Scalar;
}

/**
 * Soft-label loss (Hinton et al. 2015): KL(softmax(teacher/T) ‖ softmax(student/T)) · T², averaged over the batch.
 * The T² keeps its gradient on the scale of the hard-label loss.
 */
export function softLabelLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  const logPs = logSoftmax(studentLogits.div(temperature));
  const logPt = logSoftmax(teacherLogits.div(temperature));
  return logPt.exp().mul(logPt.sub(logPs)).sum(-1).mean().mul(temperature * temperature) as tf.Scalar;
}
