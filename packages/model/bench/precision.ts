/**
 * Matmul precision benchmark (not a test): what BF16 matmul inputs (DISTILL_MATMUL=bf16) do to training. Trains the
 * same student (4 × 312, hard labels, the same seed, data order and steps) with float32 and with BF16 matmuls on a data
 * stage's output, and prints for each its samples/s, final training loss and best valid accuracy. It never reads the
 * test split.
 *
 *   npm run bench:precision -- --data artifacts/tnews/data [--steps 800] [--eval-every 200] [--lr 0.0005]
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { createLogger, loadTokenizer, readDataset } from '@distill/core';
import { DEFAULT_ENCODER, DEFAULT_TRAINING, Encoder, batchLabels, classifierHead, classifierTask, crossEntropy, describeBackend, selectBackend, train, type EncoderConfig } from '../src';
import { loadNativeKernels, setTrainingBf16 } from '../src/native-kernels';

const program = new Command()
  .name('bench:precision')
  .requiredOption('--data <dir>', 'a data stage output (vocab, train/valid.arrow), e.g. artifacts/tnews/data; the test split is never read')
  .option('--steps <n>', 'optimizer steps per run', '800')
  .option('--eval-every <n>', 'evaluate on valid every N steps', '200')
  .option('--lr <x>', 'learning rate', '0.0005')
  .option('--batch-size <n>', 'batch size', '32')
  .option('--max-length <n>', 'tokens per text, [CLS] and [SEP] included', '64')
  .option('--seed <n>', 'seed of the initialisation and data order', '13')
  .parse();

async function main() {
  const o = program.opts();
  await selectBackend('wasm');
  const lib = loadNativeKernels();
  if (!lib?.info().bf16Supported) throw new Error('bench:precision needs the native kernels on a CPU with AVX-512 BF16');
  const log = createLogger('bench:precision');
  const { tokenizer } = loadTokenizer(o.data);
  const trainSet = readDataset(path.join(o.data, 'train.arrow'));
  const valid = readDataset(path.join(o.data, 'valid.arrow'));
  const config: EncoderConfig = { ...DEFAULT_ENCODER, vocabSize: tokenizer.size, numLabels: trainSet.labels.length, maxPositions: Number(o.maxLength) };
  const results: Record<string, unknown>[] = [];
  for (const precision of ['fp32', 'bf16'] as const) {
    setTrainingBf16(precision === 'bf16'); // BF16 in the training steps only, evaluation in float32, as in the stages
    const encoder = Encoder.create(config, Number(o.seed));
    const head = classifierHead(encoder);
    const task = classifierTask({ head, tokenizer, train: trainSet.rows, valid: valid.rows, labels: trainSet.labels, batchSize: Number(o.batchSize), loss: (logits, batch) => crossEntropy(logits, batchLabels(trainSet.rows, batch)) });
    const cfg = { ...DEFAULT_TRAINING, batchSize: Number(o.batchSize), lr: Number(o.lr), maxSteps: Number(o.steps), evalEvery: Number(o.evalEvery), seed: Number(o.seed) };
    const r = await train(encoder.params, [...encoder.params.keys()], task, cfg, log, `bench:precision ${precision}`);
    const tail = r.curve.slice(Math.floor(r.curve.length * 0.9));
    const finalLoss = tail.reduce((a, c) => a + c.loss, 0) / Math.max(1, tail.length);
    results.push({ precision, backend: describeBackend(), samples_per_s: +r.samplesPerSecond.toFixed(1), final_loss: +finalLoss.toFixed(4), best_valid_accuracy: r.best?.accuracy ?? null, best_step: r.best?.step ?? null });
    encoder.dispose();
  }
  setTrainingBf16(false);
  for (const x of results) console.log(JSON.stringify(x));
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
});
