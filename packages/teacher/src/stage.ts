/**
 * The teacher stage, by `mode`:
 * - `pretrain`: masked-LM pretraining. Reads the data stage (input `data`). Writes `checkpoint/` (with an MLM head),
 *   `metrics.json`, `curves.json`.
 * - `finetune`: classification. Reads `data` (+ `augment`, + the stage named by `init.input`). Writes `checkpoint/`,
 *   `logits/{train,valid,test}.arrow` (+ `logits/augmented.arrow`), `metrics.json`, `curves.json`, `baseline.json`.
 * Checkpoints use the Hugging Face layout (safetensors + config.json + vocab.txt).
 */
import type { StageContext, StageDefinition } from '@distill/core';
import { paramsSchema, type FinetuneParams, type PretrainParams, type TeacherParams } from './config';
import { runFinetune } from './finetune';
import { runPretrain } from './pretrain';

export async function runTeacher(ctx: StageContext<TeacherParams>) {
  switch (ctx.params.mode) {
    case 'pretrain':
      return runPretrain(ctx as StageContext<PretrainParams>);
    case 'finetune':
      return runFinetune(ctx as StageContext<FinetuneParams>);
  }
}

export const teacherStage: StageDefinition<typeof paramsSchema> = { kind: 'teacher', schema: paramsSchema, run: runTeacher };
