/** Parameters of the teacher stage (`uses: teacher`), by `mode`. */
import { z } from 'zod';
import { encoderParamsSchema, trainingParamsSchema, wideParamsSchema } from '@distill/core';

/** Where the starting weights come from: an upstream stage's `checkpoint/` (an input role) or a checkpoint directory. */
export const initSchema = z
  .object({
    input: z.string().optional(),
    path: z.string().optional(),
  })
  .strict()
  .refine((i) => !!i.input !== !!i.path, { message: 'give exactly one of input (an input role) or path (a checkpoint directory)' });

/** pretrained character vectors to warm-start a fresh model's word embeddings (projected to the hidden size) */
export const embeddingsSchema = z
  .object({ file: z.string(), vocab: z.string(), dim: z.number().int().positive() })
  .strict();

const common = {
  /** model shape for a fresh model; ignored when `init` gives a checkpoint */
  model: encoderParamsSchema.prefault({}),
  training: trainingParamsSchema.prefault({}),
  init: initSchema.optional(),
  embeddings: embeddingsSchema.optional(),
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

/** a multinomial naive Bayes classifier on character n-grams (a baseline every classification mode scores, or a teacher) */
const naiveBayesFields = {
  ngram_max: z.number().int().min(1).max(4).default(2),
  alpha: z.number().positive().default(0.1),
  /**
   * self-training by EM on the data stage's unlabeled text (Nigam et al., 2000): `rounds` of labelling the unlabeled
   * texts with the model's posteriors and refitting with them at `unlabeled_weight`; each pair of the lists is tried
   * and the best on valid kept (0 rounds: the supervised baseline)
   */
  em: z
    .object({
      rounds: z.array(z.number().int().min(0).max(50)).min(1).default([0, 1, 3]),
      unlabeled_weight: z.array(z.number().positive().max(1)).min(1).default([0.1, 0.3, 1]),
    })
    .strict()
    .optional(),
};
const naiveBayes = z.object({ enabled: z.boolean().default(true), ...naiveBayesFields }).strict().prefault({});

/**
 * consistency training (UDA, Xie et al., 2020): every step adds weight × KL(sharpened prediction on an unlabeled text ‖
 * prediction on one of its variants), over the texts predicted with at least `confidence`; the variants come from input
 * `uda`, an augment stage with `splits: [unlabeled]` (its augmented-unlabeled.arrow)
 */
const udaSchema = z
  .object({
    // the defaults are the text-classification settings UDA's public implementations use (confidence 0.45,
    // temperature 0.85)
    weight: z.number().positive().default(1),
    confidence: z.number().min(0).max(1).default(0.45),
    /** the target is softmax(logits / temperature) */
    temperature: z.number().positive().max(1).default(0.85),
    /** unlabeled texts per step */
    batch_size: z.number().int().positive().default(32),
    /** distribution alignment: each target × (labeled label shares / running mean prediction), so that the term cannot
     * be met by one label for every text */
    align: z.boolean().default(true),
  })
  .strict();

/**
 * self-training with uncertainty (UST, Mukherjee & Awadallah, 2020), after the supervised training: `rounds` of labelling
 * a seeded `sample` of the data stage's unlabeled text with `passes` dropout passes, adding the texts labelled with at
 * least `confidence` (the most certain and consistent first, at most `per_class` a label) to the labeled rows, and
 * training `epochs` more; a round is kept only when valid accuracy rises. With `training.epochs: 0` and `init` a
 * fine-tuned stage, the rounds start from that model as it is.
 */
const selfTrainingSchema = z
  .object({
    rounds: z.number().int().min(1).max(10).default(2),
    confidence: z.number().min(0).max(1).default(0.7),
    passes: z.number().int().min(1).max(30).default(5),
    per_class: z.number().int().positive().default(100),
    epochs: z.number().int().positive().default(3),
    /** unlabeled texts drawn afresh each round for the dropout passes (UST's sample_size and its default) */
    sample: z.number().int().positive().default(16384),
  })
  .strict();

/** options every classification mode shares */
const classify = {
  naive_bayes: naiveBayes,
  /** also write logits/unlabeled.arrow: the teacher labels the data stage's unlabeled text (data distillation) */
  label_unlabeled: z.boolean().default(false),
  uda: udaSchema.optional(),
  self_training: selfTrainingSchema.optional(),
};

/** `finetune`: the classifier on [CLS], every weight trained; optionally with an auxiliary MLM loss (PALM-style). */
export const finetuneSchema = z
  .object({
    mode: z.literal('finetune'),
    ...common,
    ...classify,
    /** a wide n-gram part beside the encoder (Wide & Deep): fit alone first (`wide.fit`), trained at `training.wide_lr` */
    wide: wideParamsSchema.optional(),
    /** add weight × masked-LM loss on a batch of unlabeled text to every step (needs a model with an MLM head) */
    aux_mlm: z.object({ weight: z.number().positive().default(0.5), probability: z.number().gt(0).lt(1).default(0.15) }).strict().optional(),
  })
  .strict();

/**
 * `prompt`: cloze classification with the MLM head and the label file's verbalizer words (start from a pretrained model).
 * Its `baseline.json` describes the prompt model itself, which the final evaluation scores on test.
 */
export const promptSchema = z
  .object({
    mode: z.literal('prompt'),
    ...common,
    /** `{text}` is replaced by the text; one [MASK] per verbalizer character, before {text} so truncation keeps them */
    template: z.string().default('这条新闻标题的主题是[MASK][MASK]：{text}'),
    ...classify,
  })
  .strict();

/** `prefix`: prefix tuning (P-tuning v2): per-layer prefix keys/values and the classifier train, the encoder is frozen. */
export const prefixSchema = z
  .object({ mode: z.literal('prefix'), ...common, prefix_length: z.number().int().positive().default(16), ...classify })
  .strict();

/** what the teachers on character vectors (`zeroshot`, `knn`) share: the vectors and the sentence vectors' centring */
const vectorTeacherFields = {
  vectors: embeddingsSchema,
  /** remove the training and unlabeled texts' mean vector before comparing */
  center: z.boolean().default(true),
  label_unlabeled: z.boolean().default(true),
};

/**
 * `zeroshot`: no labels at all. Each text scores each label by the cosine between its mean character vector and that of
 * the label's name (the label file's verbalizer, else the label itself), after removing the mean text vector of the
 * training and unlabeled texts (their common direction, which says nothing about the label). Writes logits, as a
 * teacher whose soft labels a student can distil; no checkpoint.
 */
export const zeroshotSchema = z
  .object({
    mode: z.literal('zeroshot'),
    ...vectorTeacherFields,
    /** logits = scale × cosine: the sharpness of the soft labels it hands on */
    scale: z.number().positive().default(10),
  })
  .strict();

/**
 * `cloze`: no labels at all. The masked-LM checkpoint of `init` (e.g. the pretrain stage), untrained further, fills the
 * template's [MASK] slots; each label scores the log-probability of its verbalizer word (the label file's names).
 * With `center`, each label's mean score over the training and unlabeled texts is subtracted (the model's prior for the
 * word in this template, which says nothing about the text). Writes logits and `baseline.json`; no checkpoint.
 */
export const clozeSchema = z
  .object({
    mode: z.literal('cloze'),
    init: initSchema,
    /** `{text}` is replaced by the text; one [MASK] per verbalizer character, before {text} so truncation keeps them */
    template: z.string().default('这条新闻标题的主题是[MASK][MASK]：{text}'),
    center: z.boolean().default(true),
    label_unlabeled: z.boolean().default(true),
  })
  .strict();

/**
 * `knn`: embedding lookup. Each text's sentence vector (its mean character vector, centred as in `zeroshot`) finds its
 * `k` most similar training rows, which vote for their labels; `k` is chosen on valid from the list. Writes logits (the
 * training rows' leave-one-out) and no checkpoint.
 */
export const knnSchema = z
  .object({
    mode: z.literal('knn'),
    ...vectorTeacherFields,
    k: z.array(z.number().int().positive().max(1000)).min(1).default([1, 3, 5, 10, 20]),
    /** logits = scale × each label's share of the vote */
    scale: z.number().positive().default(10),
  })
  .strict();

/**
 * `naive_bayes`: the naive Bayes classifier (character n-grams; self-trained by EM on the unlabeled text with `em`) as
 * a teacher whose soft labels a student distils: its log posteriors divided by a temperature chosen on valid (the one
 * with the least valid log-loss: naive Bayes is overconfident). Writes logits and `baseline.json`; no checkpoint.
 */
export const naiveBayesTeacherSchema = z
  .object({
    mode: z.literal('naive_bayes'),
    ...naiveBayesFields,
    calibration: z.array(z.number().positive()).min(1).default([1, 2, 5, 10, 20, 50]),
    label_unlabeled: z.boolean().default(true),
  })
  .strict();

/**
 * `ensemble`: the teachers of `members` (input roles of teacher stages that write logits and a `baseline.json`: naive
 * Bayes, zero-shot, cloze, kNN, ensemble) pooled log-linearly, Σ wᵢ · log softmax(logitsᵢ), each weight chosen on valid
 * from `weights` (every combination; ties keep the lighter one), then divided by the temperature with the least valid
 * log-loss. Writes logits and `baseline.json`; no checkpoint.
 */
export const ensembleSchema = z
  .object({
    mode: z.literal('ensemble'),
    members: z.array(z.string()).min(2).max(6),
    weights: z.array(z.number().min(0)).min(2).default([0, 0.5, 1]),
    calibration: z.array(z.number().positive()).min(1).default([0.5, 1, 2, 5]),
    label_unlabeled: z.boolean().default(true),
  })
  .strict();

export const paramsSchema = z.discriminatedUnion('mode', [pretrainSchema, finetuneSchema, promptSchema, prefixSchema, zeroshotSchema, clozeSchema, knnSchema, naiveBayesTeacherSchema, ensembleSchema]);

export type TeacherParams = z.infer<typeof paramsSchema>;
export type PretrainParams = z.infer<typeof pretrainSchema>;
export type FinetuneParams = z.infer<typeof finetuneSchema>;
export type ClassifyParams = z.infer<typeof finetuneSchema> | z.infer<typeof promptSchema> | z.infer<typeof prefixSchema>;
export type ZeroshotParams = z.infer<typeof zeroshotSchema>;
export type KnnParams = z.infer<typeof knnSchema>;
export type ClozeParams = z.infer<typeof clozeSchema>;
export type EnsembleParams = z.infer<typeof ensembleSchema>;
export type NaiveBayesTeacherParams = z.infer<typeof naiveBayesTeacherSchema>;
export type InitParams = z.infer<typeof initSchema>;
export type EmbeddingsParams = z.infer<typeof embeddingsSchema>;
