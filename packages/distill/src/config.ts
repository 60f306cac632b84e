/** Parameters of the distill stage (`uses: distill`). */
import { z } from 'zod';
import { encoderParamsSchema, trainingParamsSchema } from '@distill/core';

export const paramsSchema = z
  .object({
    /** student shape; default: 4 layers, hidden 312, 12 heads, intermediate 1200 */
    student: encoderParamsSchema.prefault({}),
    training: trainingParamsSchema.prefault({}),
    /** weight of the soft-label loss; the hard-label loss gets 1 - alpha */
    alpha: z.number().min(0).max(1).default(0.5),
    /** softmax temperature of the soft-label loss */
    temperature: z.number().positive().default(2),
    /** also train on the augmented rows, labelled by the teacher (data distillation); needs input `augment` */
    use_augmented: z.boolean().default(false),
  })
  .strict();

export type DistillParams = z.infer<typeof paramsSchema>;
