/** The data stage's label file (`labels.json`): each label's name and, from the label file's Chinese names, its verbalizer word. */
import * as path from 'node:path';
import { readJson, type StageContext } from '@distill/core';

export interface LabelSpec {
  name: string;
  verbalizer?: string;
}

/** The label specs of input `data`, in the data's label order. */
export function labelSpecs(ctx: StageContext<unknown>): LabelSpec[] {
  return readJson<LabelSpec[]>(path.join(ctx.input('data'), 'labels.json'));
}

/** Each label's verbalizer word (undefined where the label file gives none): what cloze and prompt scoring fill the slots with. */
export function verbalizerWords(ctx: StageContext<unknown>): (string | undefined)[] {
  return labelSpecs(ctx).map((s) => s.verbalizer);
}
