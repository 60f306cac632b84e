/**
 * Learning from the unlabeled text beside the labeled rows, for the classification modes (config.ts `uda`,
 * `self_training`):
 * - `withUda`: consistency training (UDA, Xie et al., 2020). Every step adds weight × KL(sharpened prediction on an
 *   unlabeled text ‖ prediction on one of its augment-stage variants), over the texts the model is confident about,
 *   the targets aligned to the labeled rows' label shares.
 * - `selfTrain`: self-training with uncertainty (UST, Mukherjee & Awadallah, 2020). The model labels the unlabeled
 *   texts with several dropout passes; the texts it labels confidently and consistently (high mean probability, low
 *   spread across passes), at most `per_class` a label, join the labeled rows, and training goes on; a round is kept
 *   only when valid accuracy rises.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, type Example, type Logger, type WordPieceTokenizer } from '@distill/core';
import { encodeAll, lengthSortedBatches, logSoftmax, padBatch, type Batch, type ClassificationHead, type Encoded, type LossTermSink, type TrainTask } from '@distill/model';

export interface UdaOptions {
  weight: number;
  /** a text counts when its prediction's top probability is at least this */
  confidence: number;
  /** the target is softmax(logits / temperature): below 1 sharpens it */
  temperature: number;
  batch_size: number;
  /** distribution alignment of the targets to the labeled rows' label shares */
  align: boolean;
}

/** An unlabeled text and its augment-stage variants, encoded as the head sees them. */
export interface UdaPair {
  original: Encoded;
  variants: Encoded[];
}

/** Pairs each unlabeled row (strategy `original`) with its variants, by `origin_id`; rows without a variant are left out. */
export function udaPairs(head: ClassificationHead, tokenizer: WordPieceTokenizer, rows: readonly Example[], originId: readonly string[], strategy: readonly string[]): UdaPair[] {
  const encode = (i: number) => encodeAll(tokenizer, [head.prepare(rows[i].text)], head.encoder.config.maxPositions)[0];
  const byOrigin = new Map<string, { original?: number; variants: number[] }>();
  rows.forEach((r, i) => {
    const entry = byOrigin.get(originId[i]) ?? byOrigin.set(originId[i], { variants: [] }).get(originId[i])!;
    if (strategy[i] === 'original') entry.original = i;
    else entry.variants.push(i);
  });
  return [...byOrigin.values()].filter((e) => e.original !== undefined && e.variants.length).map((e) => ({ original: encode(e.original!), variants: e.variants.map(encode) }));
}

/**
 * Distribution alignment (Berthelot et al., ReMixMatch, 2020): each target is multiplied by prior / (the running mean
 * of the model's predictions on unlabeled text) and renormalized. Without it, predicting one label confidently for
 * every text satisfies the consistency term, and a weak model on many labels collapses to that.
 */
export class DistributionAlignment {
  private mean: Float64Array | null = null;
  constructor(
    private readonly prior: Float64Array,
    private readonly momentum = 0.99,
  ) {}

  /** Updates the running mean with a batch's predictions [rows, k] and aligns them in place. */
  align(probs: Float64Array[]): void {
    const k = this.prior.length;
    const batchMean = new Float64Array(k);
    for (const p of probs) for (let j = 0; j < k; j++) batchMean[j] += p[j] / probs.length;
    this.mean = this.mean ? this.mean.map((m, j) => this.momentum * m + (1 - this.momentum) * batchMean[j]) : batchMean;
    for (const p of probs) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += (p[j] *= this.prior[j] / Math.max(this.mean[j], 1e-8));
      for (let j = 0; j < k; j++) p[j] /= sum;
    }
  }
}

/** The labels' shares among labeled rows: the prior distribution alignment aims at. */
export function labelPrior(rows: readonly Example[], k: number): Float64Array {
  const prior = new Float64Array(k);
  for (const r of rows) prior[r.label] += 1 / rows.length;
  return prior;
}

/**
 * The consistency term of one batch of pairs: [loss, share of texts that counted]. `seed` draws the variants and
 * dropout; `alignment`, when given, aligns the predictions on the originals before masking and sharpening.
 */
export function consistencyLoss(head: ClassificationHead, pairs: readonly UdaPair[], o: UdaOptions, seed: number, padId: number, alignment?: DistributionAlignment): { loss: tf.Scalar; used: number } {
  const rng = new Rng(seed ^ 0x0da);
  const picked = Array.from({ length: o.batch_size }, () => pairs[rng.int(pairs.length)]);
  const at = (items: Encoded[]): Batch => padBatch(items.map((e, index) => ({ index, ids: e.ids })), padId);
  // the target is a constant: no gradient flows through the prediction on the original text
  const originalLogits = tf.tidy(() => head.logits(at(picked.map((p) => p.original)), {}));
  const logits = originalLogits.arraySync() as number[][];
  originalLogits.dispose();
  const k = logits[0].length;
  const probs = logits.map((row) => {
    const max = Math.max(...row);
    const e = Float64Array.from(row, (x) => Math.exp(x - max));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / sum);
  });
  alignment?.align(probs);
  const targets = new Float32Array(picked.length * k);
  const mask = new Float32Array(picked.length);
  probs.forEach((p, r) => {
    mask[r] = Math.max(...p) >= o.confidence ? 1 : 0;
    // sharpening: p^(1/T), renormalized (the same as softmax(logits / T) before alignment)
    const sharp = p.map((x) => Math.pow(x, 1 / o.temperature));
    const sharpSum = sharp.reduce((a, b) => a + b, 0);
    sharp.forEach((x, j) => (targets[r * k + j] = x / sharpSum));
  });
  const used = mask.reduce((a, b) => a + b, 0);
  const variants = at(picked.map((p) => p.variants[rng.int(p.variants.length)]));
  const logQ = logSoftmax(head.logits(variants, { training: true, seed }));
  const t = tf.tensor2d(targets, [picked.length, k]);
  const logT = t.add(1e-12).log();
  const kl = t.mul(logT.sub(logQ)).sum(-1);
  const loss = kl.mul(tf.tensor1d(mask)).sum().div(Math.max(used, 1)) as tf.Scalar;
  return { loss, used: used / picked.length };
}

/** A training task with the UDA term added to every step's loss; the terms are logged as `supervised` and `consistency`. */
export function withUda(task: TrainTask, head: ClassificationHead, pairs: readonly UdaPair[], o: UdaOptions, padId: number, prior: Float64Array): TrainTask {
  if (!pairs.length) throw new Error('uda: no unlabeled row has an augmented variant (augment the unlabeled split)');
  const alignment = o.align ? new DistributionAlignment(prior) : undefined;
  return {
    ...task,
    loss: (batch, seed, terms?: LossTermSink) => {
      const supervised = task.loss(batch, seed);
      const { loss } = consistencyLoss(head, pairs, o, seed, padId, alignment);
      terms?.('supervised', supervised);
      terms?.('consistency', loss);
      return supervised.add(loss.mul(o.weight)) as tf.Scalar;
    },
  };
}

export interface SelfTrainingOptions {
  rounds: number;
  confidence: number;
  /** dropout passes per text */
  passes: number;
  /** the most texts a label gets in one round, the most certain first */
  per_class: number;
  /** unlabeled texts drawn (seeded, afresh each round) for the dropout passes; the whole pool when it is smaller */
  sample: number;
}

/** The unlabeled texts one round labels: `size` of them drawn without replacement, or all when there are no more. */
export function roundSample(texts: readonly string[], size: number, seed: number): readonly string[] {
  if (texts.length <= size) return texts;
  const order = new Rng(seed).shuffle([...texts.keys()]).slice(0, size);
  return order.sort((a, b) => a - b).map((i) => texts[i]);
}

/**
 * Predictions under `passes` dropout masks: per text, the label of the mean probability, that probability, and its
 * standard deviation across the passes.
 */
export function dropoutPredictions(head: ClassificationHead, tokenizer: WordPieceTokenizer, texts: readonly string[], passes: number, seed: number): { label: Int32Array; prob: Float32Array; std: Float32Array } {
  const k = head.numLabels;
  const n = texts.length;
  const sum = new Float32Array(n * k);
  const sumSq = new Float32Array(n * k);
  const encoded = encodeAll(tokenizer, texts.map((t) => head.prepare(t)), head.encoder.config.maxPositions);
  for (let pass = 0; pass < passes; pass++) {
    for (const b of lengthSortedBatches(encoded, 64, tokenizer.padId)) {
      const probs = tf.tidy(() => tf.softmax(head.logits(b, { training: true, seed: seed + 7919 * pass + b.indices[0] })));
      const v = probs.dataSync();
      probs.dispose();
      b.indices.forEach((row, r) => {
        for (let j = 0; j < k; j++) {
          const x = v[r * k + j];
          sum[row * k + j] += x;
          sumSq[row * k + j] += x * x;
        }
      });
    }
  }
  const label = new Int32Array(n);
  const prob = new Float32Array(n);
  const std = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (sum[i * k + j] > sum[i * k + best]) best = j;
    const mean = sum[i * k + best] / passes;
    label[i] = best;
    prob[i] = mean;
    std[i] = Math.sqrt(Math.max(0, sumSq[i * k + best] / passes - mean * mean));
  }
  return { label, prob, std };
}

/**
 * The pseudo-labeled rows of one round: texts at `confidence` or above, ranked by mean probability less its spread
 * across the passes (certain and consistent first), at most `per_class` a label.
 */
export function selectPseudoLabels(texts: readonly string[], p: { label: Int32Array; prob: Float32Array; std: Float32Array }, o: Pick<SelfTrainingOptions, 'confidence' | 'per_class'>, numLabels: number): Example[] {
  const order = [...texts.keys()].filter((i) => p.prob[i] >= o.confidence).sort((a, b) => p.prob[b] - p.std[b] - (p.prob[a] - p.std[a]) || a - b);
  const taken = new Array(numLabels).fill(0);
  const out: Example[] = [];
  for (const i of order) {
    if (taken[p.label[i]] >= o.per_class) continue;
    taken[p.label[i]] += 1;
    out.push({ id: `pseudo-${i}`, text: texts[i], label: p.label[i] });
  }
  return out;
}

/** One round's record for metrics.json and the log. */
export interface SelfTrainingRound {
  round: number;
  pseudo_rows: number;
  valid_accuracy: number;
  kept: boolean;
}

/**
 * Rounds of pseudo-labeling and training on the labeled plus pseudo-labeled rows. `trainOn` trains the model in place
 * on the rows it is given and returns valid accuracy at its best step; `snapshot`/`restore` undo a round that does
 * not raise it.
 */
export async function selfTrain(
  o: SelfTrainingOptions,
  head: ClassificationHead,
  tokenizer: WordPieceTokenizer,
  labeled: readonly Example[],
  unlabeled: readonly string[],
  startAccuracy: number,
  trainOn: (rows: readonly Example[], round: number) => Promise<number>,
  state: { snapshot(): unknown; restore(s: unknown): void },
  seed: number,
  log: Logger,
): Promise<SelfTrainingRound[]> {
  const rounds: SelfTrainingRound[] = [];
  let best = startAccuracy;
  for (let round = 1; round <= o.rounds; round++) {
    // UST scores a fresh sample of the pool each round (its sample_size): the dropout passes cost passes × texts
    // forward passes, and a round keeps at most per_class × labels of them
    const pool = roundSample(unlabeled, o.sample, seed + 104729 * round);
    const predictions = dropoutPredictions(head, tokenizer, pool, o.passes, seed + round);
    const pseudo = selectPseudoLabels(pool, predictions, o, head.numLabels);
    if (!pseudo.length) {
      log.info(`self-training round ${round}: no unlabeled text at confidence ${o.confidence}; stopping`);
      break;
    }
    const before = state.snapshot();
    const accuracy = await trainOn([...labeled, ...pseudo], round);
    const kept = accuracy > best;
    if (kept) best = accuracy;
    else state.restore(before);
    log.info(`self-training round ${round}: ${pseudo.length} pseudo-labeled texts of ${pool.length} scored, valid accuracy ${(100 * accuracy).toFixed(2)} (${kept ? 'kept' : `not above ${(100 * best).toFixed(2)}: undone`})`);
    rounds.push({ round, pseudo_rows: pseudo.length, valid_accuracy: accuracy, kept });
  }
  return rounds;
}
