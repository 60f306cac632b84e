/** Parameters of the prune stage (`uses: prune`). */
import { z } from 'zod';

export const paramsSchema = z
  .object({
    /** shares of each layer's FFN neurons to keep, each scored on valid (the accuracy-vs-sparsity curve) */
    ffn_keep: z.array(z.number().gt(0).lt(1)).min(1).default([0.75, 0.5, 0.25, 0.125]),
    /**
     * depth pruning: layer counts to try besides the model's own (each below it), the layers ranked by how much the
     * training loss rises without each; every count is tried with every FFN share and with its whole FFN
     */
    layers_keep: z.array(z.number().int().positive()).default([]),
    /**
     * the written model: `auto`, the candidate (layer count × FFN share) with the fewest encoder parameters whose valid
     * accuracy is within `max_accuracy_drop` points of the unpruned model's (none within: the largest FFN share at
     * full depth); or a share of FFN neurons, one of `ffn_keep`, at `layers` layers
     */
    keep: z.union([z.literal('auto'), z.number().gt(0).lt(1)]).default('auto'),
    /** with a numeric `keep`: the layer count, one of `layers_keep` (default: every layer) */
    layers: z.number().int().positive().optional(),
    max_accuracy_drop: z.number().min(0).default(1),
    /** training rows (a seeded sample) whose loss gradients rank the neurons; valid stays for the choices */
    importance_rows: z.number().int().positive().default(2048),
    batch_size: z.number().int().positive().default(32),
    /**
     * unstructured magnitude pruning, for the curve: shares of the encoder layers' weights set to zero, each scored on
     * valid and timed in ONNX Runtime (FP32, batch 1) beside the dense model; these models are not written
     */
    magnitude_sparsity: z.array(z.number().gt(0).lt(1)).default([0.5, 0.7, 0.9]),
    /** valid texts the ONNX Runtime timing runs over, one at a time */
    latency_rows: z.number().int().positive().default(200),
    /**
     * gradual unstructured pruning while fine-tuning (hard labels on train), for the curve: each method at each final
     * sparsity, reached on a cubic schedule over the first `ramp_share` of `steps`; best step on valid at the final
     * sparsity; these models are not written
     */
    fine_prune: z
      .object({
        methods: z.array(z.enum(['magnitude', 'movement'])).min(1).default(['magnitude', 'movement']),
        sparsity: z.array(z.number().gt(0).lt(1)).min(1).default([0.5, 0.9]),
        steps: z.number().int().positive().default(300),
        ramp_share: z.number().gt(0).max(1).default(0.7),
        every: z.number().int().positive().default(10),
        lr: z.number().positive().default(0.0005),
        eval_every: z.number().int().min(0).default(100),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((p) => p.keep === 'auto' || p.ffn_keep.includes(p.keep), { message: 'keep must be auto or one of ffn_keep', path: ['keep'] })
  .refine((p) => p.layers === undefined || (p.keep !== 'auto' && p.layers_keep.includes(p.layers)), { message: 'layers goes with a numeric keep and must be one of layers_keep', path: ['layers'] });

export type PruneParams = z.infer<typeof paramsSchema>;
