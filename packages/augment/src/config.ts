/** Parameters of the augment stage (`uses: augment`). */
import { z } from 'zod';

const probability = z.number().min(0).max(1);

export const strategiesSchema = z
  .object({
    /** replace each word with [UNK] with probability p */
    unk: z.object({ p: probability.default(0.1) }).strict().optional(),
    /** swap two random words, n times */
    swap: z.object({ n: z.number().int().positive().default(1) }).strict().optional(),
    /** delete each word with probability p (at least one word stays) */
    delete: z.object({ p: probability.default(0.1) }).strict().optional(),
  })
  .strict();

export const paramsSchema = z
  .object({
    /** which split of the data stage to augment */
    split: z.enum(['train', 'unlabeled']).default('train'),
    strategies: strategiesSchema,
    /** augmented rows to try per original row (the original is always kept) */
    multiplier: z.number().int().min(1).max(100).default(2),
  })
  .strict();

export type AugmentParams = z.infer<typeof paramsSchema>;
export type Strategies = z.infer<typeof strategiesSchema>;
