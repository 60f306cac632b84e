import { trainingParamsSchema } from '@distill/core';
import { trainingConfigFrom } from '@distill/model';
import { wideFitConfig } from './classify';

describe('wide table fit config', () => {
  it("takes the stage's training params with the fit's epochs and learning rate, and no step cap", () => {
    const training = trainingParamsSchema.parse({ epochs: 9, max_steps: 100, batch_size: 16, weight_decay: 0.02, warmup_ratio: 0.1, eval_every: 50, wide_lr: 0 });
    const cfg = wideFitConfig(training, { epochs: 4, lr: 0.05 }, 7);
    expect(cfg).toEqual({ ...trainingConfigFrom(training, 7), epochs: 4, maxSteps: 0, wideLr: 0.05 });
    expect(cfg).toMatchObject({ batchSize: 16, weightDecay: 0.02, warmupRatio: 0.1, evalEvery: 50, seed: 7 });
  });
});
