/**
 * Parameters of the distill stage (`uses: distill`). One stage is one step of ERNIE-Tiny's recipe; chain them by
 * `init: { input: student }`:
 *   GD  (general distillation):          objective latent, teacher = pretrained (MLM) teacher, corpus [unlabeled]
 *   GED (general-enhanced distillation): objective latent, teacher = fine-tuned teacher,      corpus [unlabeled]
 *   TAD (task-adaptive distillation):    objective latent, teacher = fine-tuned teacher,      corpus [train, augmented]
 *   TSD (task-specific distillation):    objective task: latent + soft-label + hard-label loss on task data
 */
import { z } from 'zod';
import { encoderParamsSchema, encoderWeightSchema, trainingParamsSchema, wideLogisticSchema, wideParamsSchema } from '@distill/core';

export const latentSchema = z
  .object({
    /** teacher layer whose Q/K/V relations are distilled (negative counts from the top: -1 = last) */
    teacher_layer: z.number().int().default(-1),
    student_layer: z.number().int().default(-1),
    /** relation heads shared by teacher and student (must divide both hidden sizes) */
    relation_heads: z.number().int().positive().default(12),
    /** weight of the latent loss (in `task`, added to the soft- and hard-label losses; 0 turns it off there) */
    weight: z.number().min(0).default(1),
  })
  .strict()
  .prefault({});

export const initSchema = z
  .object({
    /** an upstream stage's `checkpoint/` (the previous distillation step) */
    input: z.string().optional(),
    /** copy these teacher layers (and the embeddings) into the student, when the shapes allow */
    teacher_layers: z.array(z.number().int().min(0)).optional(),
  })
  .strict()
  .refine((i) => !(i.input && i.teacher_layers), { message: 'give input or teacher_layers, not both' });

export const paramsSchema = z
  .object({
    objective: z.enum(['latent', 'task']).default('task'),
    /** student shape for a fresh or teacher-layer init (defaults: encoderParamsSchema's); with init.input the student
     * is that stage's checkpoint, and giving a shape too is an error */
    student: encoderParamsSchema.optional(),
    init: initSchema.optional(),
    training: trainingParamsSchema.prefault({}),
    /** latent: text to distil on (data splits; `augmented` needs input augment) */
    corpus: z.array(z.enum(['unlabeled', 'train', 'augmented'])).min(1).default(['unlabeled']),
    /** latent: rows of the corpus to use (0 = all) */
    max_rows: z.number().int().min(0).default(0),
    latent: latentSchema,
    /** task: weight of the soft-label loss; the hard-label loss gets 1 - alpha */
    alpha: z.number().min(0).max(1).default(0.5),
    /** task: softmax temperature of the soft-label loss */
    temperature: z.number().positive().default(2),
    /** task, data distillation: also train on the augmented rows with the teacher's logits (needs input augment) */
    use_augmented: z.boolean().default(false),
    /** task, data distillation: also train on the unlabeled rows the teacher labelled (teacher logits/unlabeled.arrow) */
    use_unlabeled: z.boolean().default(false),
    /** task: the student starts with a copy of the teacher's wide n-gram table (Wide & Deep; needs a teacher with one)
     * and trains it on at `training.wide_lr` (0: the table stays the teacher's) */
    wide_from_teacher: z.boolean().default(false),
    /** task: the student gets a wide n-gram table of its own, starting at zero, trained beside its encoder on the same
     * soft and hard labels at `training.wide_lr` (Wide & Deep for a teacher without a table, e.g. naive Bayes) */
    student_wide: wideParamsSchema
      .pick({ buckets: true, max_n: true, pooling: true })
      .extend({
        /** fit the table first, in closed form, as naive Bayes over its own hashed n-grams: the training rows counted
         * under their gold labels, the teacher-labelled rows (use_unlabeled, use_augmented) spread over the labels by
         * the teacher's probabilities at each of `soft_weight` against them; smoothing × weight chosen on valid, the
         * table calibrated on valid. The encoder then trains beside it (the table at `training.wide_lr`; 0 keeps it),
         * with `cross_fit` ≥ 2 beside each training row's out-of-fold table logits (stacking) */
        fit: z
          .object({
            method: z.literal('naive_bayes'),
            alpha: z.array(z.number().positive()).min(1).default([0.1, 0.3, 1]),
            soft_weight: z.array(z.number().min(0)).min(1).default([0.1, 0.3, 1]),
            cross_fit: z.number().int().min(0).max(20).default(5),
            /** add a logistic-regression table fitted on the gold training rows, as the teacher's table fit can */
            logistic: wideLogisticSchema.optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** with a wide table: the encoder's weight against it after training, chosen on valid (`valid`) or fixed */
    encoder_weight: encoderWeightSchema,
    /**
     * task: search α × temperature (× the student's learning rate) on valid first, then train with the best (search.ts):
     * `trials` configurations from the grid; `halving` trains them all briefly and the best 1/`eta` longer, rung by
     * rung, up to `steps`; `random` trains each for `steps`
     */
    search: z
      .object({
        alpha: z.array(z.number().min(0).max(1)).min(1),
        temperature: z.array(z.number().positive()).min(1),
        /** absent: training.lr only */
        lr: z.array(z.number().positive()).min(1).optional(),
        trials: z.number().int().positive().max(1000).default(9),
        method: z.enum(['halving', 'random']).default('halving'),
        /** optimizer steps of the longest trial */
        steps: z.number().int().positive().max(1_000_000).default(300),
        eta: z.number().int().min(2).default(3),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((p) => !(p.init?.input && p.student), { message: "the student is the checkpoint of init.input; remove student (its shape is that checkpoint's)", path: ['student'] })
  .refine((p) => !(p.student_wide?.fit && p.search), { message: 'the fitted student table (student_wide.fit) and an α × T search do not combine: the table does not depend on α or T', path: ['student_wide', 'fit'] })
  .refine((p) => !(p.wide_from_teacher && p.student_wide), { message: 'the student takes the teacher\'s table (wide_from_teacher) or a fresh one (student_wide), not both', path: ['student_wide'] });

export type DistillParams = z.infer<typeof paramsSchema>;
export type LatentParams = z.infer<typeof latentSchema>;
