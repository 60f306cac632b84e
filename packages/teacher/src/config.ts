/** Parameters of the teacher stage (`uses: teacher`). */
import { z } from 'zod';
import { encoderParamsSchema, trainingParamsSchema } from '@distill/core';

export const paramsSchema = z
  .object({
    /** `finetune`: train a classifier on the labeled training split */
    mode: z.enum(['finetune']).default('finetune'),
    model: encoderParamsSchema.prefault({}),
    training: trainingParamsSchema.prefault({}),
    /** start from this Hugging Face BERT checkpoint directory instead of random weights */
    init: z.string().optional(),
  })
  .strict();

export type TeacherParams = z.infer<typeof paramsSchema>;
