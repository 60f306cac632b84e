/** Parameters of the augment stage (`uses: augment`). Unknown strategy names are schema errors. */
import { z } from 'zod';

const probability = z.number().min(0).max(1);

export const strategiesSchema = z
  .object({
    /** replace each word with [UNK] with probability p */
    unk: z.object({ p: probability.default(0.1) }).strict().optional(),
    /** replace each word, with probability p, by a random word of the same part of speech seen in the data */
    pos: z.object({ p: probability.default(0.1) }).strict().optional(),
    /** a random contiguous span of words, at least `min_ratio` of the text, as a new sample */
    ngram: z.object({ min_ratio: z.number().gt(0).lt(1).default(0.5) }).strict().optional(),
    /** replace about p of the words that have Cilin synonyms (at least one) by a synonym from the same line */
    synonym: z.object({ p: probability.default(0.1) }).strict().optional(),
    /** insert a synonym of a random word at a random position, n times */
    insert: z.object({ n: z.number().int().positive().default(1) }).strict().optional(),
    /** swap two random words, n times */
    swap: z.object({ n: z.number().int().positive().default(1) }).strict().optional(),
    /** delete each word with probability p (at least one word stays) */
    delete: z.object({ p: probability.default(0.1) }).strict().optional(),
    /** mask about p of the words and fill them with a model's masked-LM head (needs input `mlm`: a checkpoint with an MLM head) */
    mlm: z.object({ p: probability.default(0.15), top_k: z.number().int().positive().default(5) }).strict().optional(),
  })
  .strict()
  .refine((s) => Object.keys(s).length > 0, { message: 'name at least one strategy' });

export const paramsSchema = z
  .object({
    /** which splits of the data stage to augment: `train` → augmented.arrow, `unlabeled` → augmented-unlabeled.arrow */
    splits: z.array(z.enum(['train', 'unlabeled'])).min(1).default(['train']),
    strategies: strategiesSchema,
    /** augmented rows to try per original row (the original is always kept; duplicates are dropped) */
    multiplier: z.number().int().min(1).max(100).default(2),
    /** Cilin thesaurus (`Aa01A01= 人 士 人物` lines), needed by `synonym` and `insert` */
    lexicon: z.string().optional(),
    /** worker threads; the output is the same for any number */
    workers: z.number().int().min(1).max(16).default(1),
  })
  .strict()
  .refine((p) => !(p.strategies.synonym || p.strategies.insert) || p.lexicon, { message: 'strategies synonym and insert need a lexicon file', path: ['lexicon'] });

export type AugmentParams = z.infer<typeof paramsSchema>;
export type Strategies = z.infer<typeof strategiesSchema>;
export type StrategyName = keyof Strategies;
