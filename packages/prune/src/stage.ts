/**
 * The prune stage. Reads: the data stage (input `data`: a sample of train ranks the neurons, valid scores every
 * candidate) and a model stage's `checkpoint/` (input `model`). Writes: `checkpoint/` (the model cut to the chosen
 * depth, most important layers kept, and each layer's FFN to the chosen share of its neurons, most important kept: a
 * smaller dense model that a distill stage can recover and the quantize stage exports like any other),
 * `logits/valid.arrow` and `prune-report.json` (the accuracy-vs-sparsity curve of structured and unstructured pruning, one-shot and, with `fine_prune`, gradual while
 * fine-tuning (magnitude and movement), and what unstructured sparsity changes in ONNX Runtime: file size, compressed
 * size, latency).
 */
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { Rng, deriveSeed, isMultiLabel, loadTokenizer, percentile, readTokenizerSpec, writeJsonAtomic, writeLogits, type Example, type StageContext, type StageDefinition, type WordPieceTokenizer } from '@distill/core';
import { DEFAULT_TRAINING, Encoder, GradualPruner, batchLabels, classifierHead, classifierTask, countParams, crossEntropy, describeBackend, encodeAll, evaluateClassifier, ffnImportance, lengthSortedBatches, loadCheckpoint, magnitudePrune, pruneFfn, saveCheckpoint, selectBackend, tableParams, topNeurons, train as trainModel, type Batch } from '@distill/model';
import { exportEncoder } from '@distill/quantize';
import { idsFeeds } from '@distill/runtime';
import { paramsSchema, type PruneParams } from './config';
import { dropLayers, layerImportance, topLayers } from './layers';

export interface StructuredPoint {
  /** transformer layers kept */
  layers: number;
  /** share of each layer's FFN neurons kept (1: the whole FFN) */
  keep: number;
  intermediate_size: number;
  /** parameters without the n-gram table, which pruning leaves alone */
  encoder_params: number;
  valid_accuracy: number;
}

export interface FinePrunedPoint {
  method: 'magnitude' | 'movement';
  /** the share of the encoder layers' weights that are zero at the end */
  sparsity: number;
  valid_accuracy: number;
  steps: number;
}

export interface UnstructuredPoint {
  /** share of the encoder layers' weights set to zero (0: the dense model) */
  sparsity: number;
  valid_accuracy: number;
  /** FP32 ONNX file: bytes, gzip-compressed bytes, p50 latency at batch 1 (ONNX Runtime, 1 thread) */
  onnx_bytes: number;
  onnx_gzip_bytes: number;
  p50_ms: number;
}

/**
 * p50 latency at batch 1 of each ONNX model over the same token ids (ONNX Runtime, one thread, after a warm-up). The
 * models take turns on every text, so that none gains from running later (warmer caches, clock).
 */
async function batchOneP50(models: readonly Uint8Array[], encoded: readonly (readonly number[])[], padId: number): Promise<number[]> {
  const sessions = await Promise.all(models.map((bytes) => ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' })));
  try {
    const times = sessions.map(() => [] as number[]);
    for (const s of sessions) for (const ids of encoded.slice(0, 20)) await s.run(idsFeeds([ids], padId), ['logits']);
    for (const ids of encoded) {
      for (const [i, s] of sessions.entries()) {
        const t0 = process.hrtime.bigint();
        await s.run(idsFeeds([ids], padId), ['logits']);
        times[i].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    return times.map((t) => percentile(t, 50));
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}

function validAccuracy(encoder: Encoder, tokenizer: WordPieceTokenizer, valid: readonly Example[], labels: readonly string[]): { accuracy: number; logits: Float32Array } {
  const { metrics, logits } = evaluateClassifier(classifierHead(encoder), tokenizer, valid, labels);
  return { accuracy: metrics.accuracy, logits };
}

/** A copy of the model with its own variables. */
function copyOf(encoder: Encoder): Encoder {
  return new Encoder({ ...encoder.config }, new Map([...encoder.params].map(([k, v]) => [k, tf.variable(v.clone(), v.trainable)])));
}

/** Each method at each final sparsity: a copy of the model fine-tuned on train while it is pruned (GradualPruner). */
async function finePrune(ctx: StageContext<PruneParams>, encoder: Encoder, tokenizer: WordPieceTokenizer, train: readonly Example[], valid: readonly Example[], labels: readonly string[], batchSize: number, o: NonNullable<PruneParams['fine_prune']>): Promise<FinePrunedPoint[]> {
  const out: FinePrunedPoint[] = [];
  for (const method of o.methods) {
    for (const sparsity of o.sparsity) {
      const model = copyOf(encoder);
      const pruner = new GradualPruner(model, { method, sparsity, rampShare: o.ramp_share, every: o.every });
      const task = classifierTask({ head: classifierHead(model), tokenizer, train, valid, labels, batchSize, loss: (logits, b) => crossEntropy(logits, batchLabels(train, b)) });
      const cfg = { ...DEFAULT_TRAINING, batchSize, lr: o.lr, epochs: 1000, maxSteps: o.steps, evalEvery: o.eval_every, seed: deriveSeed(ctx.seed, `${ctx.stage}-${method}-${sparsity}`), wideLr: 0 };
      const r = await trainModel(model.params, [...model.params.keys()], task, { ...cfg, afterUpdate: (s, t, g) => pruner.afterUpdate(s, t, g), eligibleForBest: (s, t) => pruner.done(s, t) }, ctx.log, `${ctx.stage} ${method} ${sparsity}`);
      const point: FinePrunedPoint = { method, sparsity: pruner.sparsity(), valid_accuracy: r.best?.accuracy ?? NaN, steps: r.steps };
      ctx.log.info(`fine-pruned (${method}) to sparsity ${point.sparsity.toFixed(3)} in ${r.steps} steps: valid accuracy ${(100 * point.valid_accuracy).toFixed(2)}`);
      out.push(point);
      model.dispose();
    }
  }
  return out;
}

export async function runPrune(ctx: StageContext<PruneParams>) {
  const p = ctx.params;
  await selectBackend(ctx.backend);
  const backend = describeBackend();
  const tokenizer = loadTokenizer(ctx.input('data')).tokenizer;
  const train = ctx.dataset('data', 'train.arrow');
  const valid = ctx.dataset('data', 'valid.arrow');
  const labels = valid.labels;
  if (isMultiLabel(valid.rows)) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}: pruning ranks neurons with the single-label loss; a multi-label model is not pruned`);
  const { encoder } = loadCheckpoint(path.join(ctx.input('model'), 'checkpoint'), { labels });
  const c = encoder.config;
  const encoderParams = (e: Encoder) => countParams(e.params) - tableParams(e);

  // importance: loss gradients on a seeded sample of training rows
  const sample = new Rng(deriveSeed(ctx.seed, `${ctx.stage}-importance`)).shuffle([...train.rows]).slice(0, p.importance_rows);
  const batches = lengthSortedBatches(encodeAll(tokenizer, sample.map((r) => r.text), c.maxPositions), p.batch_size, tokenizer.padId);
  const sampleLoss = (logits: tf.Tensor2D, b: Batch) => crossEntropy(logits, batchLabels(sample, b));
  const importance = ffnImportance(classifierHead(encoder), batches, sampleLoss);
  ctx.log.info(`FFN neuron importance from ${sample.length} training rows (${batches.length} batches), ${c.numLayers} layers × ${c.intermediateSize} neurons`);

  const depths = [...new Set(p.layers_keep)].sort((a, b) => b - a);
  const tooDeep = depths.find((d) => d >= c.numLayers);
  if (tooDeep !== undefined) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params.layers_keep: ${tooDeep} is not below the model's ${c.numLayers} layers`);
  const layerRank = depths.length ? layerImportance(encoder, batches, sampleLoss) : [];
  if (depths.length) ctx.log.info(`layer importance (training loss rise without each layer): ${layerRank.map((x) => x.toFixed(4)).join(', ')}`);
  const layersOf = (depth: number) => (depth === c.numLayers ? [...Array(depth).keys()] : topLayers(layerRank, depth));

  /** the model at `depth` layers (the most important) with `size` FFN neurons a layer (each kept layer's most important) */
  const prunedTo = (depth: number, size: number) => {
    const kept = layersOf(depth);
    const shallow = depth === c.numLayers ? encoder : dropLayers(encoder, kept);
    if (size === c.intermediateSize) return shallow === encoder ? copyOf(encoder) : shallow;
    const narrow = pruneFfn(shallow, topNeurons(kept.map((l) => importance[l]), size));
    if (shallow !== encoder) shallow.dispose();
    return narrow;
  };
  const base = validAccuracy(encoder, tokenizer, valid.rows, labels);
  const structured: StructuredPoint[] = [{ layers: c.numLayers, keep: 1, intermediate_size: c.intermediateSize, encoder_params: encoderParams(encoder), valid_accuracy: base.accuracy }];
  const validLogits = new Map<StructuredPoint, Float32Array>([[structured[0], base.logits]]);
  const shares = [...p.ffn_keep].sort((a, b) => b - a);
  for (const depth of [c.numLayers, ...depths]) {
    for (const share of depth === c.numLayers ? shares : [1, ...shares]) {
      const size = Math.max(1, Math.round(share * c.intermediateSize));
      const pruned = prunedTo(depth, size);
      const v = validAccuracy(pruned, tokenizer, valid.rows, labels);
      const point = { layers: depth, keep: share, intermediate_size: size, encoder_params: encoderParams(pruned), valid_accuracy: v.accuracy };
      structured.push(point);
      validLogits.set(point, v.logits);
      ctx.log.info(`${depth} layer${depth === 1 ? '' : 's'}, FFN keep ${share} (${size} neurons a layer): valid accuracy ${(100 * v.accuracy).toFixed(2)} (unpruned ${(100 * base.accuracy).toFixed(2)})`);
      pruned.dispose();
    }
  }
  const within = structured.slice(1).filter((s) => 100 * (base.accuracy - s.valid_accuracy) <= p.max_accuracy_drop);
  const chosenPoint =
    p.keep !== 'auto'
      ? structured.find((s) => s.layers === (p.layers ?? c.numLayers) && s.keep === p.keep)!
      : within.length
        ? within.reduce((a, b) => (b.encoder_params < a.encoder_params ? b : a))
        : structured.find((s) => s.layers === c.numLayers && s.keep === shares[0])!;
  ctx.log.info(`pruned model: ${chosenPoint.layers} layer${chosenPoint.layers === 1 ? '' : 's'}, FFN keep ${chosenPoint.keep} (${chosenPoint.intermediate_size} neurons a layer), valid accuracy ${(100 * chosenPoint.valid_accuracy).toFixed(2)}${p.keep === 'auto' ? ` (the fewest encoder parameters within ${p.max_accuracy_drop} points of the unpruned model)` : ''}`);
  const chosen = prunedTo(chosenPoint.layers, chosenPoint.intermediate_size);
  saveCheckpoint(path.join(ctx.outDir, 'checkpoint'), chosen, labels, tokenizer.vocab, readTokenizerSpec(ctx.input('data')));
  writeLogits(path.join(ctx.outDir, 'logits', 'valid.arrow'), valid.rows.map((r) => r.id), validLogits.get(chosenPoint)!, labels.length);
  chosen.dispose();

  // unstructured magnitude pruning: accuracy, and what zeros change in an ONNX Runtime model (size, latency)
  const unstructured: UnstructuredPoint[] = [];
  if (p.magnitude_sparsity.length) {
    const points: { sparsity: number; accuracy: number; bytes: Uint8Array }[] = [{ sparsity: 0, accuracy: base.accuracy, bytes: exportEncoder(encoder, { labels }) }];
    for (const sparsity of p.magnitude_sparsity) {
      const { encoder: sparse } = magnitudePrune(encoder, sparsity);
      points.push({ sparsity, accuracy: validAccuracy(sparse, tokenizer, valid.rows, labels).accuracy, bytes: exportEncoder(sparse, { labels }) });
      sparse.dispose();
    }
    const timed = valid.rows.slice(0, p.latency_rows).map((r) => tokenizer.encode(r.text, c.maxPositions).ids);
    const p50 = await batchOneP50(points.map((x) => x.bytes), timed, tokenizer.padId);
    points.forEach((x, i) => unstructured.push({ sparsity: x.sparsity, valid_accuracy: x.accuracy, onnx_bytes: x.bytes.length, onnx_gzip_bytes: zlib.gzipSync(x.bytes).length, p50_ms: p50[i] }));
    for (const u of unstructured) ctx.log.info(`magnitude sparsity ${u.sparsity}: valid accuracy ${(100 * u.valid_accuracy).toFixed(2)}; FP32 ONNX ${u.onnx_bytes} bytes (gzip ${u.onnx_gzip_bytes}), p50 ${u.p50_ms.toFixed(3)} ms at batch 1`);
  }
  const finePruned = p.fine_prune ? await finePrune(ctx, encoder, tokenizer, train.rows, valid.rows, labels, p.batch_size, p.fine_prune) : [];
  encoder.dispose();
  const report = { importance_rows: sample.length, base_valid_accuracy: base.accuracy, ...(depths.length ? { layer_importance: layerRank } : {}), structured, unstructured, ...(p.fine_prune ? { fine_pruned: finePruned } : {}), chosen: chosenPoint };
  writeJsonAtomic(path.join(ctx.outDir, 'prune-report.json'), report);
  return { backend, summary: report };
}

export const pruneStage: StageDefinition<typeof paramsSchema> = { kind: 'prune', schema: paramsSchema, run: runPrune };
