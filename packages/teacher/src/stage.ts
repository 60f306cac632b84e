/**
 * The teacher stage, by `mode`:
 * - `pretrain`: masked-LM pretraining. Reads the data stage (input `data`). Writes `checkpoint/` (with an MLM head),
 *   `metrics.json`, `curves.json`.
 * - `finetune`, `prompt` (cloze + verbalizer), `prefix` (prefix tuning): classification. Reads `data` (+ `augment`,
 *   `uda`, the stage named by `init.input`). Writes `checkpoint/` (+ `prefix.safetensors`), `logits/{train,valid}.arrow`
 *   (+ `logits/{augmented,unlabeled}.arrow`), `metrics.json`, `curves.json`, `baseline.json` (the naive Bayes
 *   baseline's; in `prompt` mode the prompt model's own, which the final evaluation scores on test).
 * - `zeroshot`: label-name similarity with character vectors, no labels. Reads `data`. Writes
 *   `logits/{train,valid}.arrow` (+ `logits/unlabeled.arrow`), `baseline.json` and `metrics.json`; no checkpoint.
 * - `cloze`: zero-shot cloze scoring of the verbalizers by the masked-LM checkpoint of `init`, no labels. Reads and
 *   writes as `zeroshot` (+ the checkpoint it scores with).
 * - `knn`: embedding lookup (nearest labeled rows by sentence vector). Reads and writes as `zeroshot`.
 * - `ensemble`: the logits of teacher stages that have a `baseline.json` (input roles in `members`), pooled with
 *   weights and a temperature chosen on valid. Reads `data` and each member's logits; writes as `zeroshot`.
 * - `naive_bayes`: naive Bayes (self-trained by EM with `em`) as a teacher, its log posteriors calibrated on valid.
 *   Reads and writes as `zeroshot`.
 * Checkpoints use the Hugging Face layout (safetensors + config.json + vocab.txt).
 */
import { isMultiLabel, type StageContext, type StageDefinition } from '@distill/core';
import { runClassify } from './classify';
import { runCloze } from './cloze';
import { runEnsemble } from './ensemble';
import { paramsSchema, type ClassifyParams, type ClozeParams, type EnsembleParams, type PretrainParams, type KnnParams, type NaiveBayesTeacherParams, type TeacherParams, type ZeroshotParams } from './config';
import { runPretrain } from './pretrain';
import { runNaiveBayesTeacher } from './naive-bayes';
import { runKnn, runZeroshot } from './vector-teachers';

export async function runTeacher(ctx: StageContext<TeacherParams>) {
  const mode = ctx.params.mode;
  if ((mode === 'zeroshot' || mode === 'cloze' || mode === 'knn' || mode === 'naive_bayes' || mode === 'ensemble') && isMultiLabel(ctx.dataset('data', 'train.arrow').rows)) {
    throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params.mode: '${mode}' is single-label; a multi-label dataset trains with mode finetune`);
  }
  switch (ctx.params.mode) {
    case 'pretrain':
      return runPretrain(ctx as StageContext<PretrainParams>);
    case 'finetune':
    case 'prompt':
    case 'prefix':
      return runClassify(ctx as StageContext<ClassifyParams>);
    case 'zeroshot':
      return runZeroshot(ctx as StageContext<ZeroshotParams>);
    case 'cloze':
      return runCloze(ctx as StageContext<ClozeParams>);
    case 'knn':
      return runKnn(ctx as StageContext<KnnParams>);
    case 'ensemble':
      return runEnsemble(ctx as StageContext<EnsembleParams>);
    case 'naive_bayes':
      return runNaiveBayesTeacher(ctx as StageContext<NaiveBayesTeacherParams>);
  }
}

export const teacherStage: StageDefinition<typeof paramsSchema> = { kind: 'teacher', schema: paramsSchema, run: runTeacher };
