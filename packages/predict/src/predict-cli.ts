#!/usr/bin/env tsx
/**
 * Batch prediction on a file, outside a pipeline:
 *   npm run predict -- --model artifacts/tnews/quantize/student --input texts.jsonl --output predictions.jsonl
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { OnnxClassifier } from '@distill/runtime';
import { INPUT_FORMATS, readSchema } from './config';
import { labelCounts, predictAll, readInputs, writePredictions } from './predict';

const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

/** A model directory means its INT8 model when it has one, else its FP32 one. */
function modelFile(model: string): string {
  if (!fs.existsSync(model)) throw new Error(`${model}: not found`);
  if (!fs.statSync(model).isDirectory()) return model;
  for (const f of ['model.int8.onnx', 'model.onnx']) if (fs.existsSync(path.join(model, f))) return path.join(model, f);
  throw new Error(`${model}: a model directory needs model.int8.onnx or model.onnx`);
}

new Command()
  .name('predict')
  .description('Predict the label of every text in a file with a model directory written by the quantize stage')
  .requiredOption('-m, --model <path>', 'a model directory (its INT8 model if it has one) or an .onnx file inside one')
  .requiredOption('-i, --input <file>', 'texts: JSON lines (.jsonl/.json), TSV, plain text (one per line) or Arrow')
  .requiredOption('-o, --output <file>', 'predictions: JSON lines, or Arrow when the name ends in .arrow')
  .addOption(new Option('--format <format>', 'input format').choices([...INPUT_FORMATS]).default('auto'))
  .option('--text-field <name>', "JSON lines: the text's field (default: text, else sentence)")
  .option('--id-field <name>', "JSON lines: the id's field", 'id')
  .option('--text-column <n>', 'TSV: the text column, from 0', (v) => Number(v), 0)
  .option('-k, --top-k <n>', 'labels listed per text (JSON lines)', positive('top-k'), 3)
  .option('--batch-size <n>', 'texts per model run', positive('batch-size'), 64)
  .option('--threads <n>', 'ONNX Runtime intra-op threads', positive('threads'), 1)
  .action(async (o) => {
    try {
      const read = readSchema.parse({ format: o.format, id_field: o.idField, text_column: o.textColumn, ...(o.textField ? { text_field: o.textField } : {}) });
      const input = readInputs(o.input, read);
      const file = modelFile(o.model);
      process.stderr.write(`${input.texts.length} texts from ${o.input}${input.skipped_blank ? ` (${input.skipped_blank} blank lines skipped)` : ''}; model ${file}\n`);
      const clf = await OnnxClassifier.load(file, { threads: o.threads });
      const started = Date.now();
      const predictions = await predictAll(clf, input.texts, o.batchSize);
      await clf.dispose();
      const seconds = (Date.now() - started) / 1000;
      const outFormat = path.extname(o.output).toLowerCase() === '.arrow' ? 'arrow' : 'jsonl';
      writePredictions(o.output, input.ids, predictions, outFormat, o.topK);
      process.stderr.write(`${input.texts.length} predictions in ${seconds.toFixed(1)} s (${(input.texts.length / seconds).toFixed(0)} texts/s) → ${o.output}\n`);
      process.stderr.write(`labels: ${JSON.stringify(labelCounts(predictions))}\n`);
    } catch (err) {
      process.stderr.write(`predict: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  })
  .parseAsync();
