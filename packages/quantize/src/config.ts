/** Parameters of the quantize stage (`uses: quantize`). Every input except `data` is a model to export. */
import { z } from 'zod';

export const paramsSchema = z
  .object({
    /** graph form: `portable` (standard ONNX ops) or `ort` (ONNX Runtime contrib ops: MultiHeadAttention, BiasGelu) */
    flavour: z.enum(['portable', 'ort']).default('portable'),
    int8: z
      .object({
        enabled: z.boolean().default(true),
        /** `dynamic`: activations quantized at run time; `static`: QDQ with activation ranges calibrated on valid rows */
        mode: z.enum(['dynamic', 'static']).default('dynamic'),
        calibration: z
          .object({
            method: z.enum(['minmax', 'percentile']).default('percentile'),
            /** for `percentile`: the share of values kept inside the range at each end */
            percentile: z.number().gt(50).max(100).default(99.99),
            rows: z.number().int().positive().default(200),
          })
          .strict()
          .prefault({}),
        /** one weight scale per output channel instead of one per tensor */
        per_channel: z.boolean().default(false),
        /** quantize the word-embedding table too */
        embeddings: z.boolean().default(true),
        /** weight-name prefixes kept in float32, e.g. `classifier` or `bert.encoder.layer.0.` */
        exclude: z.array(z.string()).default([]),
        /**
         * the wide n-gram table in the INT8 model (table.ts): `all` keeps it whole (int8, one scale); `auto` keeps the
         * fewest most-important rows that lose at most `max_accuracy_drop` points on valid; a number keeps that many
         * rows. Kept rows are `bits` wide (8 or 4; `auto`: the smaller on valid within the same drop) with a float16
         * scale each, behind a bucket → row map.
         */
        table: z
          .object({
            keep: z.union([z.enum(['all', 'auto']), z.number().int().positive()]).default('all'),
            bits: z.union([z.literal('auto'), z.literal(8), z.literal(4)]).default('auto'),
            max_accuracy_drop: z.number().min(0).default(0.3),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** FP32 ONNX vs tfjs logits on valid: largest allowed |Δlogit| */
    parity_tolerance: z.number().positive().default(1e-4),
    /** largest allowed accuracy loss of INT8 vs FP32, in points (on `guard.calibration_rows` valid rows while guarding, then on all of valid) */
    max_accuracy_drop: z.number().min(0).default(1.0),
    /** the guard: sensitivity is measured on this many valid rows; at most this many layers are kept in float32 */
    guard: z.object({ calibration_rows: z.number().int().positive().default(1000), max_excluded: z.number().int().min(0).default(8) }).strict().prefault({}),
  })
  .strict();

export type QuantizeParams = z.infer<typeof paramsSchema>;
