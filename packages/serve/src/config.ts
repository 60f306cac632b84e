/** Parameters of the serve stage (`uses: serve`): the benchmark of every exported model. */
import { z } from 'zod';

export const paramsSchema = z
  .object({
    /** test sentences timed one at a time (batch 1) */
    latency_samples: z.number().int().positive().default(200),
    /** untimed runs before timing */
    warmup: z.number().int().min(0).default(20),
    /** ONNX Runtime intra-op threads of the latency and throughput benchmark (the same for every variant) */
    threads: z.number().int().positive().default(1),
    /**
     * models scored together, e.g. one method trained on each of FewCLUE's five splits: each group's mean and standard
     * deviation of test accuracy; name → model names as in the benchmark (`<role>-<precision>`, with
     * `-<input role>` added where two inputs have a model of the same name)
     */
    groups: z.record(z.string().min(1), z.array(z.string()).min(2)).default({}),
    /**
     * a learning curve: each method's models by the amount of labeled data they were trained on (`x`, e.g. labeled
     * examples per class), scored on the same test set; method → { x: model name as in `groups` }
     */
    learning_curve: z
      .object({
        x_title: z.string().default('labeled examples per class'),
        methods: z.record(z.string().min(1), z.record(z.string().regex(/^\d+(\.\d+)?$/, 'an x value (a number)'), z.string()).refine((m) => Object.keys(m).length >= 2, 'at least two points')),
      })
      .strict()
      .optional(),
    /** HTTP load test of one model variant (single-text requests, loopback), at each concurrency */
    http: z
      .object({
        /** `<role>-<precision>` as in the benchmark, e.g. student-int8 */
        model: z.string().default('student-int8'),
        concurrency: z.array(z.number().int().positive()).default([1, 8, 32]),
        /** upper bounds per point */
        requests: z.number().int().positive().default(2000),
        max_seconds: z.number().positive().default(20),
        max_batch_size: z.number().int().positive().default(32),
        max_queue_delay_ms: z.number().int().min(0).default(2),
        /** worker threads the server runs the model in, each its own session (0 = in the server's thread, which then
         * handles no request while the model runs: onnxruntime-node runs a session on the calling thread) */
        workers: z.number().int().min(0).default(2),
        /** ONNX Runtime intra-op threads of each server worker (the load generator shares the machine) */
        threads: z.number().int().positive().default(1),
        /** whether the server's idle ONNX Runtime threads spin (false: they sleep and leave the cores to the rest) */
        spinning: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ServeParams = z.infer<typeof paramsSchema>;
