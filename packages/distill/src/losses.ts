/** The task-specific distillation objective: α · soft-label loss + (1 − α) · hard-label cross-entropy. */
import * as tf from '@tensorflow/tfjs';
import { crossEntropy, softLabelLoss, type LossTermSink } from '@distill/model';

/** The total, with each weighted term (`soft`, `hard`) reported to `terms`. */
export function distillationLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels: tf.Tensor1D, alpha: number, temperature: number, terms?: LossTermSink): tf.Scalar {
  const soft = alpha > 0 ? softLabelLoss(studentLogits, teacherLogits, temperature).mul(alpha) : tf.scalar(0);
  const hard = alpha < 1 ? crossEntropy(studentLogits, labels).mul(1 - alpha) : tf.scalar(0);
  if (alpha > 0) terms?.('soft', soft as tf.Scalar);
  if (alpha < 1) terms?.('hard', hard as tf.Scalar);
  return soft.add(hard) as tf.Scalar;
}
