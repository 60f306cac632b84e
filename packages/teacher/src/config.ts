/** Parameters of the teacher stage (`uses: teacher`), by `mode`. */
import { z } from 'zod';
import { encoderParamsSchema, trainingParamsSchema } from '@distill/core';

/** Where the starting weights come from: an upstream stage's `checkpoint/` (an input role) or a checkpoint directory. */
export const initSchema = z
  .object({
    input: z.string().optional(),
    path: z.string().optional(),
  })
  .strict()
  .refine((i) => !!i.input !== !!i.path, { message: 'give exactly one of input (an input role) or path (a checkpoint directory)' });

const common = {
  /** model shape for a fresh model; ignored when `init` gives a checkpoint */
  model: encoderParamsSchema.prefault({}),
  training: trainingParamsSchema.prefault({}),
  init: initSchema.optional(),
};

export const pretrainSchema = z
  .object({
    mode: z.literal('pretrain'),
    ...common,
    /** which splits of the data stage are the corpus */
    corpus: z.array(z.enum(['unlabeled', 'train'])).min(1).default(['unlabeled', 'train']),
    mlm: z
      .object({
        probability: z.number().gt(0).lt(1).default(0.15),
        /** mask whole jieba words rather than single tokens */
        whole_word: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** texts of the data stage's valid split held out to score masked-token accuracy */
    valid_rows: z.number().int().min(0).default(2000),
  })
  .strict();

export const finetuneSchema = z
  .object({
    mode: z.literal('finetune'),
    ...common,
    /** train and score a multinomial naive Bayes baseline on character n-grams in the same run */
    naive_bayes: z
      .object({ enabled: z.boolean().default(true), ngram_max: z.number().int().min(1).max(4).default(2), alpha: z.number().positive().default(0.1) })
      .strict()
      .prefault({}),
  })
  .strict();

export const paramsSchema = z.discriminatedUnion('mode', [pretrainSchema, finetuneSchema]);

export type TeacherParams = z.infer<typeof paramsSchema>;
export type PretrainParams = z.infer<typeof pretrainSchema>;
export type FinetuneParams = z.infer<typeof finetuneSchema>;
export type InitParams = z.infer<typeof initSchema>;
