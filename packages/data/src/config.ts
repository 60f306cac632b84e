/** Parameters of the data stage (`uses: data`). */
import { z } from 'zod';

export const sourceSchema = z
  .object({
    /** `clue`: JSON lines with text and label fields; `tsv`: `text<TAB>label` lines plus a label file */
    format: z.enum(['clue', 'tsv']),
    train: z.string(),
    /** a validation file; without it, `valid_ratio` of the training data is split off (stratified) */
    valid: z.string().optional(),
    test: z.string(),
    /** label list: CLUE `labels.json` (JSON lines with `label`, `label_desc`) or a text file of `label` / `label==word` lines */
    labels: z.string().optional(),
    /** multi-label data: the label field holds several labels separated by this string (split by iterative stratification) */
    label_separator: z.string().min(1).optional(),
    text_field: z.string().default('sentence'),
    label_field: z.string().default('label'),
    /** rows that do not parse or hold invalid text: `fail` (error naming file and line) or `skip` (counted in the data card) */
    on_error: z.enum(['fail', 'skip']).default('fail'),
    /** texts longer than this many characters are cut (`truncate`), skipped and counted (`skip`) or an error (`fail`) */
    max_chars: z.number().int().min(1).max(1_000_000).default(2000),
    too_long: z.enum(['truncate', 'skip', 'fail']).default('truncate'),
  })
  .strict();

export const cleanSchema = z
  .object({
    /** NFKC (full-width → half-width) and whitespace collapsing */
    normalize: z.boolean().default(true),
    drop_empty: z.boolean().default(true),
    /** drop exact duplicates (same text and label) */
    dedupe: z.boolean().default(true),
    /** texts that occur with more than one label: drop them all, keep the majority label (counted over the rows before
     * deduplication; a tie drops the text), or keep all */
    conflicts: z.enum(['drop', 'majority', 'keep']).default('drop'),
    /** remove test texts from training and unlabeled data (true), from the unlabeled data only ('unlabeled': the
     * published training set stays as it is, the protocol leaderboard numbers use), or nowhere (false) */
    remove_test_overlap: z.union([z.boolean(), z.literal('unlabeled')]).default(true),
  })
  .strict();

export const vocabSchema = z
  .object({
    /** an existing vocab.txt (e.g. bert-base-chinese); otherwise a character vocabulary is built */
    file: z.string().optional(),
    /** an input role bound to another data stage: its vocab.txt is this stage's, so that a model pretrained on that
     * stage's vocabulary fine-tunes on this one's splits (e.g. k-shot draws of other training files) */
    input: z.string().optional(),
    min_frequency: z.number().int().positive().default(2),
    max_size: z.number().int().min(16).default(8000),
    lower_case: z.boolean().default(true),
  })
  .strict()
  .refine((v) => !(v.file && v.input), { message: 'give file or input, not both' });

export const paramsSchema = z
  .object({
    source: sourceSchema,
    /** unlabeled text files (one text per line, or JSON lines with the text field) */
    unlabeled: z.array(z.string()).default([]),
    clean: cleanSchema.prefault({}),
    /** a label with fewer training rows than this gets a warning and a data-card entry (`small_classes`) */
    min_class_rows: z.number().int().min(1).default(5),
    /** share of the training data split off (stratified) as the validation set */
    valid_ratio: z.number().gt(0).lt(1).default(0.1),
    vocab: vocabSchema.prefault({}),
    /** nested k-shot training slices written as `train_k<k>.arrow` (k rows per label, each slice inside the next) */
    kshot: z.array(z.number().int().positive()).default([]),
    /**
     * keep only this many training rows per label (the same seeded draw as `kshot`, so a smaller count's rows are
     * inside a larger one's): the points of a learning curve, each a data stage of its own
     */
    train_per_label: z.number().int().positive().optional(),
    /** token length used for the length statistics and by later stages */
    max_length: z.number().int().min(8).max(512).default(64),
  })
  .strict()
  .refine((p) => !(p.source.label_separator && p.kshot.length), { message: 'k-shot slices need single-label data (no source.label_separator)', path: ['kshot'] })
  .refine((p) => !(p.source.label_separator && p.train_per_label), { message: 'rows per label need single-label data (no source.label_separator)', path: ['train_per_label'] });

export type DataParams = z.infer<typeof paramsSchema>;
export type SourceParams = z.infer<typeof sourceSchema>;
export type CleanParams = z.infer<typeof cleanSchema>;
