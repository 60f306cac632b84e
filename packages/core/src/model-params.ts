/** Parameter schemas shared by the stages that train encoders (teacher, distill): model shape and training loop. */
import { z } from 'zod';

export const encoderParamsSchema = z
  .object({
    hidden_size: z.number().int().positive().max(8192).default(312),
    layers: z.number().int().positive().max(96).default(4),
    heads: z.number().int().positive().max(128).default(12),
    intermediate_size: z.number().int().positive().max(65_536).default(1200),
    /** token length (with [CLS] and [SEP]); also the position-embedding size */
    max_length: z.number().int().min(8).max(512).default(64),
    dropout: z.number().min(0).max(0.9).default(0.1),
  })
  .strict()
  .refine((m) => m.hidden_size % m.heads === 0, { message: 'hidden_size must be divisible by heads', path: ['heads'] });

export const trainingParamsSchema = z
  .object({
    // upper bounds catch values that would run for years (epochs: 1e12) before anything starts
    /** 0 = no training: the model stays as `init` gives it (e.g. an encoder fine-tuned by another stage, mixed here
     * with a freshly fitted table on valid) */
    epochs: z.number().int().min(0).max(10_000).default(1),
    batch_size: z.number().int().positive().max(65_536).default(32),
    lr: z.number().positive().default(1e-4),
    weight_decay: z.number().min(0).default(0.01),
    warmup_ratio: z.number().min(0).max(1).default(0.1),
    max_grad_norm: z.number().min(0).default(1.0),
    /** peak learning rate of the wide n-gram table, when the model has one (model `wide`); 0 = the table stays as it
     * is (fit beforehand with `wide.fit`, or taken from the teacher) */
    wide_lr: z.number().min(0).default(0.1),
    grad_accum: z.number().int().positive().max(4096).default(1),
    /** evaluate on valid every N optimizer steps; 0 = every epoch */
    eval_every: z.number().int().min(0).default(0),
    /** early stopping after N evaluations without improvement; 0 = off */
    patience: z.number().int().min(0).default(0),
    /** stop after N optimizer steps; 0 = no limit */
    max_steps: z.number().int().min(0).max(100_000_000).default(0),
    /** save resume state every N optimizer steps (artifacts/<pipeline>/.resume/<stage>); 0 = never */
    checkpoint_every: z.number().int().min(0).default(500),
  })
  .strict();

/** How much a model with a wide table trusts its encoder's logits: chosen on valid, or fixed. */
export const encoderWeightSchema = z.union([z.literal('valid'), z.number().min(0)]).default('valid');

/** a TF-IDF logistic-regression table added to a naive Bayes table fit (L-BFGS on the gold training rows; `c` is the
 * inverse L2 strength, as scikit-learn's), naive Bayes's weight against it chosen on valid */
export const wideLogisticSchema = z
  .object({
    c: z.number().positive().default(8),
    iterations: z.number().int().min(1).default(200),
  })
  .strict();

/** The wide n-gram part of a classifier (Wide & Deep): hashed token n-grams → label logits, added to the encoder's. */
export const wideParamsSchema = z
  .object({
    /** hash buckets; at most 1048576 (the hash is exact in int32 up to there) */
    buckets: z.number().int().min(1).max(1048576).default(131072),
    /** longest n-gram */
    max_n: z.number().int().min(1).max(4).default(3),
    /** the n-gram rows' sum divided by count ('mean') or by √count ('sqrt': an L2-normalized bag of n-grams) */
    pooling: z.enum(['mean', 'sqrt']).default('mean'),
    /** first fit the table alone, then the encoder trains beside it (the table at `training.wide_lr`):
     * - `method: adam` (the default): a linear n-gram classifier, cross-entropy on its own logits, for `epochs` at
     *   learning rate `lr`, the step with the best valid accuracy kept;
     * - `method: naive_bayes`: closed-form counts, log P(n-gram | label) smoothed by each of `alpha`, the one with the
     *   best valid accuracy kept, optionally plus a `logistic` regression table; no valid row is ever counted, and
     *   `cross_fit` K ≥ 2 gives the encoder out-of-fold table logits to train beside (stacking) */
    fit: z
      .union([
        z
          .object({
            method: z.literal('adam').default('adam'),
            epochs: z.number().int().min(1),
            lr: z.number().positive().default(0.1),
          })
          .strict(),
        z
          .object({
            method: z.literal('naive_bayes'),
            alpha: z.array(z.number().positive()).min(1).default([0.1, 0.2, 0.3, 0.5, 1]),
            /** K-fold cross-fitting: the encoder trains beside each training row's table logits from a table fitted
             * without that row's fold (0 or 1: beside the full table, which has memorized its training rows) */
            cross_fit: z.number().int().min(0).max(20).default(5),
            logistic: wideLogisticSchema.optional(),
          })
          .strict(),
      ])
      .optional(),
    /** the encoder's weight against the table after training (logits = table + w · encoder, folded into the
     * classifier): `valid` chooses it on valid from a grid (0 keeps the table alone), a number fixes it (1: as trained) */
    encoder_weight: encoderWeightSchema,
  })
  .strict();

export type WideParams = z.infer<typeof wideParamsSchema>;
export type EncoderParams = z.infer<typeof encoderParamsSchema>;
export type TrainingParams = z.infer<typeof trainingParamsSchema>;
