/** The task-specific distillation objective: α · soft-label loss + (1 − α) · hard-label cross-entropy. */
import * as tf from '@tensorflow/tfjs';
import { crossEntropy, softLabelLoss } from '@distill/model';

export function distillationLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels: tf.Tensor1D, alpha: number, temperature: number): tf.Scalar {
  const soft = alpha > 0 ? softLabelLoss(studentLogits, teacherLogits, temperature).mul(alpha) : tf.scalar(0);
  const hard = alpha < 1 ? crossEntropy(studentLogits, labels).mul(1 - alpha) : tf.scalar(0);
  return soft.add(hard) as tf.Scalar;
}
