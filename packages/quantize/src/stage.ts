/**
 * The quantize stage. Reads: the data stage (input `data`, for the valid split) and every other input's `checkpoint/`
 * and `logits/valid.arrow` (the tfjs logits, for the parity check). Every check and choice here is made on valid: the
 * test split is the final evaluation's (serve). Writes, per model `<role>/`: `model.onnx`,
 * `model.int8.onnx`, the tokenizer files (Hugging Face's layout), `labels.json`, `serving.json` (the runtime's settings:
 * `max_length`, `lower_case`, `normalization`, also in each .onnx file's metadata) and `README.md` (the model card);
 * and `quantize-report.json`.
 * Fails when FP32 ONNX disagrees with tfjs beyond `parity_tolerance`; INT8 goes through the accuracy guard (guard.ts)
 * and fails when it still loses more than `max_accuracy_drop`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { WordPieceTokenizer, applyNormalization, argmaxRows, chooseThresholds, labelSets, sigmoidAll, subsetCorrect, bootstrapAccuracyInterval, readJson, readLogits, readManifest, readTokenizerSpec, writeFileAtomic, writeJsonAtomic, writeTokenizerFiles, type StageContext, type StageDefinition } from '@distill/core';
import { servingMetadata, type ServingConfig } from '@distill/runtime';
import { WIDE_TABLE, isMultiLabelModel, countParams, loadCheckpoint, loadPrefix, selectBackend, tableParams, wideShape, type Encoder, type WideShape } from '@distill/model';
import { paramsSchema, type QuantizeParams } from './config';
import { onnxLogits, parity } from './evaluate';
import { modelCard, type CardFile } from './model-card';
import { exportEncoder } from './export';
import { guardInt8, opHistogram, quantizableLayers } from './guard';
import { int8Precision } from './int8';
import { calibrate, staticPrecision, type ActivationRange } from './qdq';
import { onnxTypes } from './onnx/onnx-proto';
import { chooseTableRows, compressTable, compressedTableBytes, rankRows, rowImportance, tableCandidates, tableLogitsOf, textNgrams, type CompressedTable, type TableBits, type TableChoice, type TextNgrams } from './table';

/** The op types of a serialized ONNX model's graph (contrib ops as `com.microsoft:Op`). */
function opTypes(bytes: Uint8Array): string[] {
  const model = onnxTypes().ModelProto.decode(bytes) as unknown as { graph: { node: { op_type: string; domain?: string }[] } };
  return model.graph.node.map((n) => (n.domain ? `${n.domain}:${n.op_type}` : n.op_type));
}

/** The op types of the graph ONNX Runtime actually runs (after its optimisations at level `all`). */
async function optimizedOpTypes(modelFile: string): Promise<string[]> {
  const file = `${modelFile}.optimized.tmp`;
  try {
    // ONNX Runtime warns that a model saved at level `all` may hold hardware-specific ops; this copy is only read for
    // its op types and then deleted, so that session logs errors only
    const session = await ort.InferenceSession.create(modelFile, { graphOptimizationLevel: 'all', optimizedModelFilePath: file, intraOpNumThreads: 1, logSeverityLevel: 3 });
    await session.release();
    return opTypes(fs.readFileSync(file));
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** A multi-label model's valid micro-F1, for the report (nothing for a single-label one). */
function microF1(m: { micro_f1?: number }): { valid_micro_f1?: number } {
  return m.micro_f1 !== undefined ? { valid_micro_f1: m.micro_f1 } : {};
}

/**
 * The INT8 model's wide table (config `int8.table`): null keeps it whole; otherwise compressed to a row count and a
 * width (8 or 4 bits) that are given or chosen on valid (`auto`), rows ranked by their largest |weight|; for the
 * choice, the full table's logits are taken out of the FP32 model's valid logits to leave the encoder's.
 */
function compressedTable(encoder: Encoder, t: QuantizeParams['int8']['table'], validNgrams: (wide: WideShape) => TextNgrams[], valid: { labels: number[]; fp32Logits: Float32Array }): { table: CompressedTable; choice: TableChoice | null } | null {
  const wide = wideShape(encoder.config);
  if (!wide || t.keep === 'all') return null;
  const k = encoder.config.numLabels;
  const full = encoder.params.get(WIDE_TABLE)!.dataSync() as Float32Array;
  const order = rankRows(rowImportance(full, k));
  const rows = t.keep === 'auto' ? tableCandidates(order.length) : [t.keep];
  const bits: TableBits[] = t.bits === 'auto' ? [8, 4] : [t.bits];
  if (rows.length * bits.length === 1) return { table: compressTable(full, k, rows[0], order, bits[0]), choice: null };
  const ngrams = validNgrams(wide);
  const encoderLogits = valid.fp32Logits.slice();
  const tableFull = tableLogitsOf(ngrams, full, k);
  for (let i = 0; i < encoderLogits.length; i++) encoderLogits[i] -= tableFull[i];
  const choice = chooseTableRows(full, k, ngrams, encoderLogits, valid.labels, t.max_accuracy_drop, order, rows, bits);
  return { table: compressTable(full, k, choice.chosen.kept, order, choice.chosen.bits), choice };
}

export async function runQuantize(ctx: StageContext<QuantizeParams>) {
  const p = ctx.params;
  await selectBackend('cpu'); // export only reads weights
  const data = ctx.input('data');
  const valid = ctx.dataset('data', 'valid.arrow');
  const tokenizerSpec = readTokenizerSpec(data);
  const dataCard = path.join(data, 'data-card.json');
  let trainRows: number | null = null;
  if (fs.existsSync(dataCard)) {
    ctx.recordRead(dataCard);
    trainRows = readJson<{ splits?: { train?: { rows?: number } } }>(dataCard).splits?.train?.rows ?? null;
  }
  // the valid texts' hashed n-grams, per table shape and length: the teacher's and student's tables share them
  const ngramCache = new Map<string, TextNgrams[]>();
  const validNgramsFor = (encode: (text: string) => number[], maxLength: number) => (wide: WideShape) => {
    const key = `${wide.buckets}:${wide.maxN}:${wide.pooling}:${maxLength}`;
    if (!ngramCache.has(key)) ngramCache.set(key, textNgrams(valid.rows.map((r) => encode(r.text)), wide));
    return ngramCache.get(key)!;
  };
  const report: Record<string, unknown> = {};
  for (const [role, dir] of Object.entries(ctx.inputs)) {
    if (role === 'data') continue;
    const ckpt = path.join(dir, 'checkpoint');
    if (!fs.existsSync(ckpt)) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.inputs.${role}: ${dir} has no checkpoint/`);
    const { encoder, labels, vocab } = loadCheckpoint(ckpt);
    const tokenizer = new WordPieceTokenizer(vocab, { lowerCase: tokenizerSpec.lowerCase }); // the vocabulary must be usable before it is shipped
    const out = path.join(ctx.outDir, role);
    const referenceFile = path.join(dir, 'logits', 'valid.arrow');
    ctx.recordRead(referenceFile);
    const reference = readLogits(referenceFile);
    // multi-label: one threshold per label, chosen on valid from the model's own (tfjs) valid logits
    const multiLabel = isMultiLabelModel(encoder.config);
    const validSets = multiLabel ? labelSets(valid.rows) : null;
    const thresholds = validSets ? chooseThresholds(validSets, sigmoidAll(reference.logits), labels.length) : null;
    const serving: ServingConfig = {
      max_length: encoder.config.maxPositions,
      lower_case: tokenizerSpec.lowerCase,
      normalization: tokenizerSpec.normalization,
      ...(thresholds ? { problem_type: 'multi_label_classification' as const, thresholds } : {}),
    };
    if (thresholds) ctx.log.info(`${role}: multi-label, thresholds chosen on valid: ${thresholds.map((t, j) => `${labels[j]} ${t}`).join(', ')}`);
    writeTokenizerFiles(out, vocab, { ...tokenizerSpec, maxLength: serving.max_length });
    writeJsonAtomic(path.join(out, 'labels.json'), labels);
    writeJsonAtomic(path.join(out, 'serving.json'), serving);
    // a prefix-tuned model: its prefix is folded into the graph, which the portable flavour has room for
    const prefix = loadPrefix(ckpt, encoder.config.numLayers, encoder.config.hiddenSize) ?? undefined;
    const flavour = prefix ? 'portable' : p.flavour;
    if (prefix) ctx.log.info(`${role}: prefix-tuned (${prefix.length} prefix positions per layer), folded into the graph${p.flavour !== 'portable' ? ` (flavour portable instead of ${p.flavour})` : ''}`);
    const metadata = servingMetadata(serving);
    const fp32File = path.join(out, 'model.onnx');
    const fp32Bytes = exportEncoder(encoder, { labels, flavour, metadata, prefix });
    writeFileAtomic(fp32File, fp32Bytes);
    const fp32 = await onnxLogits(fp32File, valid.rows);
    const par = parity(fp32.logits, reference.logits, labels.length);
    ctx.log.info(`${role}: FP32 ONNX vs tfjs max |Δ| ${par.max_abs_diff.toExponential(2)}, argmax agreement ${(100 * par.argmax_agreement).toFixed(2)}%`);
    if (par.max_abs_diff > p.parity_tolerance) {
      throw new Error(`${role}: FP32 ONNX logits differ from tfjs by ${par.max_abs_diff.toExponential(3)} > parity_tolerance ${p.parity_tolerance}`);
    }
    let int8Result: Awaited<ReturnType<typeof onnxLogits>> | null = null;
    const prefixParams = prefix ? 2 * encoder.config.numLayers * prefix.length * encoder.config.hiddenSize : 0;
    const params = countParams(encoder.params) + prefixParams;
    const table = tableParams(encoder);
    const entry: Record<string, unknown> = {
      stage: path.basename(dir),
      params,
      // the model's parts: the wide n-gram table (a head of its own) and the encoder with its classifier
      params_by_part: { ...(table ? { table } : {}), encoder: params - table - prefixParams, ...(prefix ? { prefix: prefixParams } : {}) },
      flavour,
      ...(thresholds ? { problem_type: 'multi_label_classification', thresholds } : {}),
      ...(prefix ? { prefix_length: prefix.length } : {}),
      fp32: { file: `${role}/model.onnx`, bytes: fs.statSync(fp32File).size, valid_accuracy: fp32.accuracy, valid_macro_f1: fp32.macro_f1, ...microF1(fp32), parity: par, ops: opHistogram(opTypes(fp32Bytes)), ort_optimized_ops: opHistogram(await optimizedOpTypes(fp32File)) },
    };
    if (p.int8.enabled) {
      const int8File = path.join(out, 'model.int8.onnx');
      let ranges: Map<string, ActivationRange> | null = null;
      if (p.int8.mode === 'static') {
        const c = p.int8.calibration;
        ranges = await calibrate(encoder, tokenizer, valid.rows.slice(0, c.rows).map((r) => r.text), flavour, { method: c.method, percentile: c.percentile }, prefix);
        ctx.log.info(`${role}: calibrated ${ranges.size} activation ranges on ${Math.min(c.rows, valid.rows.length)} valid rows (${c.method}${c.method === 'percentile' ? ` ${c.percentile}` : ''})`);
      }
      const int8Options = { perChannel: p.int8.per_channel, embeddings: p.int8.embeddings };
      const encode = (text: string) => tokenizer.encode(applyNormalization(text, serving.normalization ?? 'none'), serving.max_length).ids;
      const validSet = { labels: valid.rows.map((r) => r.label), fp32Logits: fp32.logits };
      const compressed = compressedTable(encoder, p.int8.table, validNgramsFor(encode, serving.max_length), validSet);
      if (compressed) {
        const { table: t, choice } = compressed;
        ctx.log.info(`${role}: INT8 table keeps ${t.kept} of ${t.buckets} rows at ${t.bits} bits (${compressedTableBytes(t)} bytes)${choice ? `, chosen on valid: ${(100 * choice.chosen.valid_accuracy).toFixed(2)} vs ${(100 * choice.full_valid_accuracy).toFixed(2)} with the full table (${choice.used_rows} rows used)` : ''}`);
      }
      const exportInt8 = (exclude: string[]) =>
        exportEncoder(encoder, { labels, flavour, metadata, prefix, table: compressed?.table, precision: ranges ? staticPrecision({ ...int8Options, exclude, ranges }) : int8Precision({ ...int8Options, exclude }) });
      // the guard works on valid rows (never the test set)
      const calibration = valid.rows.slice(0, p.guard.calibration_rows);
      const fp32Valid = (await onnxLogits(fp32File, calibration)).accuracy;
      const guard = await guardInt8(quantizableLayers(encoder), p.int8.exclude, p.max_accuracy_drop, p.guard.max_excluded, async (exclude) => {
        writeFileAtomic(int8File, exportInt8(exclude));
        return 100 * (fp32Valid - (await onnxLogits(int8File, calibration)).accuracy);
      });
      if (!guard.passed) throw new Error(`${role}: INT8 still loses ${guard.steps[guard.steps.length - 1].accuracy_drop_points.toFixed(2)} points on valid with these layers in float32: ${guard.excluded.join(', ')}; raise max_accuracy_drop or guard.max_excluded`);
      if (guard.excluded.length > p.int8.exclude.length) ctx.log.info(`${role}: the guard keeps in float32: ${guard.excluded.join(', ')}`);
      const bytes = exportInt8(guard.excluded);
      writeFileAtomic(int8File, bytes);
      const q = await onnxLogits(int8File, valid.rows);
      int8Result = q;
      const drop = 100 * (fp32.accuracy - q.accuracy);
      ctx.log.info(`${role}: INT8 valid accuracy ${(100 * q.accuracy).toFixed(2)} vs FP32 ${(100 * fp32.accuracy).toFixed(2)}; ${fs.statSync(int8File).size} vs ${fs.statSync(fp32File).size} bytes`);
      if (drop > p.max_accuracy_drop) throw new Error(`${role}: INT8 loses ${drop.toFixed(2)} accuracy points on valid > max_accuracy_drop ${p.max_accuracy_drop} (float32 layers: ${guard.excluded.join(', ') || 'none'})`);
      entry.int8 = {
        file: `${role}/model.int8.onnx`,
        bytes: fs.statSync(int8File).size,
        size_ratio: fs.statSync(int8File).size / fs.statSync(fp32File).size,
        valid_accuracy: q.accuracy,
        valid_macro_f1: q.macro_f1,
        ...microF1(q),
        valid_accuracy_drop_points: drop,
        parity_vs_fp32: parity(q.logits, fp32.logits, labels.length),
        mode: p.int8.mode,
        calibration: ranges ? { ...p.int8.calibration, ranges: Object.fromEntries(ranges) } : null,
        float32_layers: guard.excluded,
        ...(compressed ? { table: { kept_rows: compressed.table.kept, bits: compressed.table.bits, buckets: compressed.table.buckets, bytes: compressedTableBytes(compressed.table), choice: compressed.choice } } : {}),
        guard,
        ops: opHistogram(opTypes(bytes)),
        ort_optimized_ops: opHistogram(await optimizedOpTypes(int8File)),
      };
    }
    report[role] = entry;
    // per valid row: right (multi-label: the predicted set is the gold set), for the bootstrap interval
    const correct = (logits: Float32Array) =>
      validSets && thresholds ? subsetCorrect(validSets, sigmoidAll(logits), thresholds) : Array.from(argmaxRows(logits, labels.length), (y, i) => y === valid.rows[i].label);
    const card = (f: string, precision: 'FP32' | 'INT8', logits: Float32Array, metrics: { accuracy: number; macro_f1: number }): CardFile => ({
      file: f, precision, bytes: fs.statSync(path.join(out, f)).size, valid_accuracy: metrics.accuracy, valid_macro_f1: metrics.macro_f1,
      valid_ci95: bootstrapAccuracyInterval(correct(logits)),
    });
    const files = [card('model.onnx', 'FP32', fp32.logits, fp32)];
    if (int8Result) files.push(card('model.int8.onnx', 'INT8', int8Result.logits, int8Result));
    const source = readManifest(dir);
    writeFileAtomic(path.join(out, 'README.md'), modelCard({
      pipeline: ctx.pipeline.name, role, source: { stage: source.stage, uses: source.uses, params: source.params }, labels, params,
      params_by_part: entry.params_by_part as Record<string, number>, files, git_commit: source.git_commit ?? null, thresholds,
      data: { train_rows: trainRows, valid_rows: valid.rows.length, normalization: serving.normalization ?? 'none', lower_case: serving.lower_case, max_length: serving.max_length },
    }));
    encoder.dispose();
  }
  writeJsonAtomic(path.join(ctx.outDir, 'quantize-report.json'), report);
  return { summary: report };
}

export const quantizeStage: StageDefinition<typeof paramsSchema> = { kind: 'quantize', schema: paramsSchema, run: runQuantize };
