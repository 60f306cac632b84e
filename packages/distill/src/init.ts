/** The student's starting weights: fresh, copied from selected teacher layers, or a previous step's checkpoint. */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { deriveSeed, encoderParamsSchema, type StageContext } from '@distill/core';
import { Encoder, encoderConfigFrom, loadCheckpoint, wideShape, withWide } from '@distill/model';
import type { DistillParams } from './config';

/**
 * Copies the embeddings and the chosen teacher layers into the student (student layer i ← teacher layer
 * `layers[i]`); needs equal hidden and intermediate sizes. Heads and the pooler stay fresh.
 */
export function copyTeacherLayers(student: Encoder, teacher: Encoder, layers: readonly number[]): void {
  const s = student.config;
  const t = teacher.config;
  if (s.hiddenSize !== t.hiddenSize || s.intermediateSize !== t.intermediateSize) {
    throw new Error(`init.teacher_layers needs the student's hidden/intermediate sizes (${s.hiddenSize}/${s.intermediateSize}) to equal the teacher's (${t.hiddenSize}/${t.intermediateSize})`);
  }
  if (layers.length !== s.numLayers) throw new Error(`init.teacher_layers lists ${layers.length} layers; the student has ${s.numLayers}`);
  const bad = layers.find((l) => l >= t.numLayers);
  if (bad !== undefined) throw new Error(`init.teacher_layers: the teacher has no layer ${bad} (it has ${t.numLayers})`);
  for (const [name, v] of student.params) {
    let source: string | null = null;
    if (name.startsWith('bert.embeddings.')) source = name;
    const m = /^bert\.encoder\.layer\.(\d+)\.(.*)$/.exec(name);
    if (m) source = `bert.encoder.layer.${layers[Number(m[1])]}.${m[2]}`;
    if (!source) continue;
    const tv = teacher.params.get(source);
    if (!tv || tv.shape.join() !== v.shape.join()) {
      if (name.includes('position_embeddings')) continue; // a shorter student max length keeps its own
      throw new Error(`init.teacher_layers: teacher tensor ${source} does not fit student tensor ${name}`);
    }
    v.assign(tf.clone(tv));
  }
}

export function startingStudent(ctx: StageContext<DistillParams>, vocabSize: number, numLabels: number, teacher: Encoder | null): Encoder {
  const student = studentWeights(ctx, vocabSize, numLabels, teacher);
  const own = ctx.params.student_wide;
  if (own && numLabels > 0) {
    ctx.log.info(`student has a wide table of its own (${own.buckets} buckets, n ≤ ${own.max_n}, ${own.pooling} pooling), ${own.fit ? 'fitted as naive Bayes, then ' : ''}trained at wide_lr ${ctx.params.training.wide_lr}`);
    return withWide(student, { buckets: own.buckets, maxN: own.max_n, pooling: own.pooling });
  }
  if (!ctx.params.wide_from_teacher || numLabels === 0) return student;
  const wide = teacher ? wideShape(teacher.config) : null;
  if (!teacher || !wide) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params.wide_from_teacher needs input teacher with a wide part (teacher params wide)`);
  ctx.log.info(`student takes the teacher's wide table (${wide.buckets} buckets, n ≤ ${wide.maxN}, ${wide.pooling} pooling)`);
  return withWide(student, wide, teacher);
}

function studentWeights(ctx: StageContext<DistillParams>, vocabSize: number, numLabels: number, teacher: Encoder | null): Encoder {
  const p = ctx.params;
  const seed = deriveSeed(ctx.seed, `${ctx.stage}-student-init`);
  if (p.init?.input) {
    const dir = path.join(ctx.input(p.init.input), 'checkpoint');
    const { encoder } = loadCheckpoint(dir, { numLabels, mlmHead: false, seed });
    ctx.log.info(`student from ${path.relative(ctx.root, dir)}`);
    return encoder;
  }
  const student = Encoder.create(encoderConfigFrom(p.student ?? encoderParamsSchema.parse({}), vocabSize, numLabels), seed);
  if (p.init?.teacher_layers) {
    if (!teacher) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params.init.teacher_layers needs input teacher with a checkpoint`);
    copyTeacherLayers(student, teacher, p.init.teacher_layers);
    ctx.log.info(`student from teacher layers [${p.init.teacher_layers.join(', ')}]`);
  }
  return student;
}
