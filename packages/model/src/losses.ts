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
 * Binary cross-entropy on logits against 0/1 targets (multi-label: a sigmoid per label), averaged over labels and
 * rows, in the stable form max(x, 0) − x·y + log(1 + e^−|x|).
 */
export function binaryCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return logits.relu().sub(logits.mul(targets)).add(logits.abs().neg().exp().add(1).log()).mean() as tf.Scalar;
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
