/**
 * The baselines the final evaluation scores itself, from a teacher stage's `baseline.json`: naive Bayes (refitted on the
 * same rows, self-trained by the same EM), zero-shot and kNN on character vectors, cloze with the same checkpoint, and
 * an ensemble of such members. Each is fitted with the training rows of its own data stage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { argmaxRows, classificationMetrics, knnLogits, loadCharVectors, meanStd, NaiveBayes, percentile, poolLogits, readDataset, readJson, readManifest, sentenceVectors, zeroshotLogits, type Dataset, type Example, type StageContext } from '@distill/core';
import { clozeScorer, selectBackend } from '@distill/model';
import { scoreLogits, type ModelResult } from './benchmark';
import type { ServeParams } from './config';

/** What every baseline kind gives the final evaluation: its test logits, how to score one text (for the latency), its size. */
interface ScoredBaseline {
  name: string;
  format: string;
  scores: Float32Array;
  scoreOne(text: string): unknown;
  params: number;
  sizeBytes: number;
}

/** A baseline's test accuracy with its interval, macro-F1 and batch-1 latency (the first 200 test texts). */
function baselineResult(b: ScoredBaseline, file: string, test: readonly Example[], labels: readonly string[], inTrain: readonly boolean[]): ModelResult {
  const times = test.slice(0, 200).map((r) => {
    const t0 = process.hrtime.bigint();
    b.scoreOne(r.text);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  });
  const gold = test.map((r) => r.label);
  const m = classificationMetrics(gold, argmaxRows(b.scores, labels.length), labels);
  const score = scoreLogits(b.scores, gold, labels.length, inTrain);
  const { mean, std } = meanStd(times);
  return {
    name: b.name,
    role: 'baseline',
    format: b.format,
    file,
    accuracy: m.accuracy,
    macro_f1: m.macro_f1,
    ci95: score.ci95,
    ...(score.accuracy_unseen !== undefined ? { accuracy_unseen: score.accuracy_unseen } : {}),
    params: b.params,
    size_bytes: b.sizeBytes,
    latency_ms: { p50: percentile(times, 50), p99: percentile(times, 99), mean, std },
  };
}

export interface BaselineSpec {
  name: string;
  format?: string;
  /** naive Bayes */
  ngram_max: number;
  alpha: number;
  em?: { rounds: number; unlabeled_weight: number };
  /** zero-shot and knn */
  vectors: { file: string; vocab: string; dim: number };
  centre: number[];
  scale: number;
  label_names?: string[];
  k?: number;
  /** naive Bayes as a teacher: its logits are its scores divided by this */
  calibration?: { temperature: number };
  /** ensemble */
  members?: { role: string; baseline: string; weight: number }[];
  temperature?: number;
  /** cloze */
  checkpoint?: string;
  template?: string;
  label_words?: string[];
}

/** The training data a model was trained on (its stage's `data` input): its rows, unlabeled texts, and which test rows it holds. */
export interface TrainingData {
  /** the data stage's directory */
  dir: string;
  rows: readonly Example[];
  unlabeled(): string[];
  /** per test row: whether its text is in these training rows */
  inTrain: boolean[];
}

/**
 * The training data of the stage that wrote `modelsDir`: the data stage its manifest names (for a quantize stage, its
 * own `data` input), which need not be this stage's (e.g. a model trained on another split or slice).
 */
export function trainingDataOf(ctx: StageContext<ServeParams>, modelsDir: string, test: Dataset, cache: Map<string, TrainingData>): TrainingData {
  const dir = path.resolve(ctx.root, readManifest(modelsDir).inputs.data ?? ctx.input('data'));
  const cached = cache.get(dir);
  if (cached) return cached;
  const own = dir === path.resolve(ctx.root, ctx.input('data'));
  const read = (file: string) => {
    if (own) return ctx.dataset('data', file);
    ctx.recordRead(path.join(dir, file));
    return readDataset(path.join(dir, file));
  };
  const train = read('train.arrow');
  if (train.labels.join('\n') !== test.labels.join('\n')) throw new Error(`${path.join(dir, 'train.arrow')}: its labels (${train.labels.join(', ')}) are not the test set's (${test.labels.join(', ')})`);
  const texts = new Set(train.rows.map((r) => r.text));
  const data = { dir, rows: train.rows, unlabeled: () => read('unlabeled.arrow').rows.map((r) => r.text), inTrain: test.rows.map((r) => texts.has(r.text)) };
  cache.set(dir, data);
  return data;
}

/**
 * What makes two baselines the same model: the fields it is fitted and scored with (not its record of what was tried),
 * and the data stage it is fitted on.
 */
export function baselineId(s: BaselineSpec, dataDir: string): string {
  return JSON.stringify([dataDir, s.format, s.ngram_max, s.alpha, s.em?.rounds, s.em?.unlabeled_weight, s.vectors, s.centre, s.scale, s.label_names, s.k, s.checkpoint, s.template, s.members, s.temperature]);
}

/** The naive Bayes baseline a teacher stage describes (its `baseline.json`), fitted on train and scored on test. */
function naiveBayesBaseline(spec: BaselineSpec, file: string, data: TrainingData, test: readonly Example[], labels: readonly string[]): ScoredBaseline {
  const train = data.rows;
  if (!Number.isInteger(spec.ngram_max) || !(spec.alpha > 0)) throw new Error(`${file}: a naive Bayes baseline needs ngram_max and alpha`);
  // self-trained: the same EM on the same unlabeled text
  const nb =
    spec.em && spec.em.rounds > 0
      ? NaiveBayes.trainEm(train, data.unlabeled(), labels.length, spec.ngram_max, spec.alpha, spec.em.rounds, spec.em.unlabeled_weight)
      : NaiveBayes.train(train, labels.length, spec.ngram_max, spec.alpha);
  return { name: spec.name, format: 'naive-bayes', scores: nb.scoresAll(test.map((r) => r.text)), scoreOne: (t) => nb.scores(t), params: nb.numParams, sizeBytes: nb.numParams * 4 };
}

/**
 * A classifier on character vectors that a teacher stage describes (its `baseline.json`): `zero-shot` (label names
 * against the texts) or `knn` (the nearest training rows), scored on test with the vectors it names and the same
 * training rows; nothing is fitted here.
 */
function vectorBaseline(ctx: StageContext<ServeParams>, spec: BaselineSpec, file: string, train: readonly Example[], test: readonly Example[], labels: readonly string[]): ScoredBaseline {
  const vectorsFile = ctx.path(spec.vectors.file);
  ctx.recordRead(vectorsFile);
  const vectors = loadCharVectors(vectorsFile, ctx.path(spec.vectors.vocab), spec.vectors.dim);
  const centre = Float32Array.from(spec.centre);
  let classify: (texts: readonly string[]) => Float32Array;
  if (spec.format === 'zero-shot') {
    const names = spec.label_names ?? [];
    if (names.length !== labels.length) throw new Error(`${file}: ${names.length} label names for ${labels.length} labels`);
    classify = (texts) => zeroshotLogits(texts, names, centre, vectors, spec.scale);
  } else {
    if (!Number.isInteger(spec.k) || spec.k! < 1) throw new Error(`${file}: a knn baseline needs k`);
    const refs = sentenceVectors(train.map((r) => r.text), vectors, centre);
    const refLabels = train.map((r) => r.label);
    classify = (texts) => knnLogits(sentenceVectors(texts, vectors, centre), refs, refLabels, labels.length, spec.k!, spec.scale);
  }
  return { name: spec.name, format: spec.format!, scores: classify(test.map((r) => r.text)), scoreOne: (t) => classify([t]), params: 0, sizeBytes: vectors.values.byteLength };
}

/**
 * A cloze zero-shot teacher or a prompt-tuned one (its `baseline.json`): the same checkpoint, template and centre, scored
 * on test.
 */
async function clozeBaseline(ctx: StageContext<ServeParams>, spec: BaselineSpec, file: string, test: readonly Example[], labels: readonly string[]): Promise<ScoredBaseline> {
  if (!spec.checkpoint || !spec.template || spec.label_words?.length !== labels.length) throw new Error(`${file}: a cloze baseline needs checkpoint, template and a label word per label`);
  await selectBackend(ctx.backend);
  const dir = path.resolve(ctx.root, spec.checkpoint);
  for (const f of fs.readdirSync(dir)) ctx.recordRead(path.join(dir, f));
  const scorer = clozeScorer(dir, spec.template, spec.label_words, labels, Float32Array.from(spec.centre));
  const sizeBytes = fs.readdirSync(dir).reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
  return { name: spec.name, format: spec.format!, scores: scorer.score(test.map((r) => r.text)), scoreOne: (t) => scorer.score([t]), params: scorer.params, sizeBytes };
}

/** What scoring baselines shares: the training data of the stage that wrote a directory, and the baselines scored so far. */
export interface Scoring {
  dataOf(stageDir: string): TrainingData;
  /** by what a baseline fits and the data it fits it on: an ensemble's members are scored once, not again */
  scored: Map<string, Promise<ScoredBaseline>>;
}

/**
 * A baseline's test logits as its teacher stage writes them for valid, by format: naive Bayes (refitted; divided by
 * its calibration temperature when it has one), zero-shot, knn, cloze, prompt, or an ensemble of such members.
 */
function scoreBaseline(ctx: StageContext<ServeParams>, spec: BaselineSpec, file: string, scoring: Scoring, test: readonly Example[], labels: readonly string[]): Promise<ScoredBaseline> {
  const key = baselineId(spec, scoring.dataOf(path.dirname(file)).dir);
  if (!scoring.scored.has(key)) scoring.scored.set(key, scoreBaselineOnce(ctx, spec, file, scoring, test, labels));
  return scoring.scored.get(key)!;
}

async function scoreBaselineOnce(ctx: StageContext<ServeParams>, spec: BaselineSpec, file: string, scoring: Scoring, test: readonly Example[], labels: readonly string[]): Promise<ScoredBaseline> {
  const data = scoring.dataOf(path.dirname(file));
  switch (spec.format) {
    case 'cloze':
    case 'prompt':
      return clozeBaseline(ctx, spec, file, test, labels);
    case 'zero-shot':
    case 'knn':
      return vectorBaseline(ctx, spec, file, data.rows, test, labels);
    case 'ensemble':
      return ensembleBaseline(ctx, spec, file, scoring, test, labels);
    default:
      return naiveBayesBaseline(spec, file, data, test, labels);
  }
}

/** An ensemble teacher's members, each scored on test as itself, pooled with the weights and temperature it chose on valid. */
async function ensembleBaseline(ctx: StageContext<ServeParams>, spec: BaselineSpec, file: string, scoring: Scoring, test: readonly Example[], labels: readonly string[]): Promise<ScoredBaseline> {
  if (!spec.members?.length || !(spec.temperature! > 0)) throw new Error(`${file}: an ensemble baseline needs members and a temperature`);
  const members = await Promise.all(
    spec.members.map(async (m) => {
      if (!m.weight) return null;
      const memberFile = path.resolve(ctx.root, m.baseline);
      ctx.recordRead(memberFile);
      const memberSpec = readJson<BaselineSpec>(memberFile);
      return { scored: await scoreBaseline(ctx, memberSpec, memberFile, scoring, test, labels), temperature: memberSpec.calibration?.temperature ?? 1 };
    }),
  );
  const weights = spec.members.map((m) => m.weight);
  const k = labels.length;
  const pool = (logits: (Float32Array | null)[]) => poolLogits(logits.map((l, i) => (l ? l.map((x) => x / members[i]!.temperature) : null)), weights, k, spec.temperature);
  return {
    name: spec.name,
    format: 'ensemble',
    scores: pool(members.map((m) => m?.scored.scores ?? null)),
    scoreOne: (t) => pool(members.map((m) => (m ? (m.scored.scoreOne(t) as Float32Array) : null))),
    params: members.reduce((a, m) => a + (m?.scored.params ?? 0), 0),
    sizeBytes: members.reduce((a, m) => a + (m?.scored.sizeBytes ?? 0), 0),
  };
}

/** A teacher stage's `baseline.json`, scored on test: naive Bayes (refitted), zero-shot, cloze, prompt, knn or an ensemble of them. */
export async function baselineFromFile(ctx: StageContext<ServeParams>, file: string, scoring: Scoring, test: readonly Example[], labels: readonly string[]): Promise<ModelResult> {
  const spec = readJson<BaselineSpec>(file);
  return baselineResult(await scoreBaseline(ctx, spec, file, scoring, test, labels), file, test, labels, scoring.dataOf(path.dirname(file)).inTrain);
}
