/** Parameters of the predict stage (`uses: predict`): which served model predicts which file, and how. */
import { z } from 'zod';

export const INPUT_FORMATS = ['auto', 'jsonl', 'tsv', 'txt', 'arrow'] as const;
export const OUTPUT_FORMATS = ['jsonl', 'arrow'] as const;

export const readSchema = z
  .object({
    /** `auto` goes by the extension: .jsonl/.json, .tsv, .txt, .arrow */
    format: z.enum(INPUT_FORMATS).default('auto'),
    /** JSON lines: the field with the text (CLUE files call it `sentence`); absent: `text`, else `sentence` */
    text_field: z.string().min(1).optional(),
    /** JSON lines: the field with the row's id (absent: the line number) */
    id_field: z.string().min(1).default('id'),
    /** TSV: the column with the text, counted from 0 */
    text_column: z.number().int().min(0).default(0),
  })
  .strict();

export const paramsSchema = z
  .object({
    /** the file to predict (a path, or under ${DATA_DIR}) */
    file: z.string().min(1),
    read: readSchema.prefault({}),
    /** which model of the `model` input (a quantize stage): its role there and the precision */
    role: z.string().min(1).default('student'),
    precision: z.enum(['int8', 'fp32']).default('int8'),
    top_k: z.number().int().positive().default(3),
    batch_size: z.number().int().positive().max(4096).default(64),
    output: z.enum(OUTPUT_FORMATS).default('jsonl'),
  })
  .strict();

export type PredictParams = z.infer<typeof paramsSchema>;
export type ReadOptions = z.infer<typeof readSchema>;
