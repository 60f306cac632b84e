/** Parameters of the serve stage (`uses: serve`): the benchmark of every exported model. */
import { z } from 'zod';

export const paramsSchema = z
  .object({
    /** test sentences timed one at a time (batch 1) */
    latency_samples: z.number().int().positive().default(200),
    /** untimed runs before timing */
    warmup: z.number().int().min(0).default(20),
    /** ONNX Runtime intra-op threads */
    threads: z.number().int().positive().default(1),
  })
  .strict();

export type ServeParams = z.infer<typeof paramsSchema>;
