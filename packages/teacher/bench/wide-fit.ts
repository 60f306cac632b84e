/**
 * Wide-table benchmark (not a test): fits the teacher's wide n-gram table alone (`wide.fit`, the same code and recipe
 * as the teacher stage) for each bucket count and pooling on a data stage's output, and prints the table's valid
 * accuracy; the test split is never read. The Adam fit (`--method adam`, AdamW at the fit's learning rate, best valid
 * accuracy kept) runs once per seed and prints their mean: the seed sets the data order and with it which step's table
 * is kept, which moves accuracy by about as much as the bucket count does on TNEWS, so compare means over a few seeds.
 *
 *   npm run bench:wide -- --data artifacts/tnews/data
 *   npm run bench:wide -- --data artifacts/tnews/data --buckets 131072,262144 --seeds 1,2,3 --json
 *   npm run bench:wide -- --data artifacts/tnews/data --method naive_bayes --alpha 0.1,0.3,0.5 --logistic-c 8
 * Naive Bayes (`--method naive_bayes`) counts instead of training: no seeds, one result per bucket count and pooling;
 * `--logistic-c` adds the TF-IDF logistic regression beside it and `--cross-fit K` prints the out-of-fold accuracy.
 *   options: --pooling mean,sqrt  --max-n N  --max-length N (default: the data stage's)  --epochs N  --lr X
 *            --weight-decay X  --warmup-ratio X  --batch-size N  --eval-every N  --backend …
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { createLogger, loadTokenizer, readDataset, trainingParamsSchema } from '@distill/core';
import { DEFAULT_ENCODER, Encoder, describeBackend, evaluateClassifier, fitWide, fitWideNaiveBayes, selectBackend, wideHead, withWide, type BackendChoice, type WidePooling } from '@distill/model';
import { wideFitConfig } from '../src/classify';

const pct = (x: number) => (100 * x).toFixed(2);
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
/** A comma-separated option of integers ≥ `min`, or an error naming the option. */
function integers(option: string, s: string, min: number): number[] {
  return list(s).map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < min) throw new Error(`${option}: '${x}' is not an integer ≥ ${min}`);
    return n;
  });
}

const program = new Command()
  .name('bench:wide')
  .requiredOption('--data <dir>', 'a data stage output (vocab.txt, train/valid.arrow), e.g. artifacts/tnews/data; the test split is never read')
  .option('--buckets <list>', 'comma-separated bucket counts (at most 1048576)', '131072,262144')
  .option('--pooling <list>', 'comma-separated poolings: mean, sqrt', 'mean')
  .option('--max-n <n>', 'longest n-gram', '3')
  .option('--max-length <n>', 'tokens per text, [CLS] and [SEP] included (default: the data stage\'s max_length)')
  .option('--method <name>', 'adam (trained) or naive_bayes (counted)', 'adam')
  .option('--alpha <list>', 'naive Bayes: comma-separated smoothings, the best on valid kept', '0.1,0.2,0.3,0.5,1')
  .option('--cross-fit <k>', 'naive Bayes: K-fold cross-fitting; prints the out-of-fold training accuracy', '0')
  .option('--logistic-c <x>', 'naive Bayes: add a TF-IDF logistic-regression table with this C (inverse L2 strength)')
  .option('--logistic-iterations <n>', 'naive Bayes: L-BFGS iterations of that regression', '200')
  .option('--epochs <n>', 'fit epochs (tnews.yaml teacher)', '4')
  .option('--lr <x>', 'fit learning rate (tnews.yaml teacher)', '0.05')
  .option('--weight-decay <x>', 'AdamW weight decay (the teacher stage default)', '0.01')
  .option('--warmup-ratio <x>', 'learning-rate warm-up share (tnews.yaml teacher)', '0.06')
  .option('--batch-size <n>', 'batch size', '32')
  .option('--eval-every <n>', 'evaluate on valid every N steps', '400')
  .option('--seeds <list>', 'comma-separated seeds (data order); each case runs once per seed', '1')
  .option('--backend <name>', 'tfjs backend', 'auto')
  .option('--json', 'one JSON object per case')
  .parse();

async function main() {
  const o = program.opts();
  await selectBackend(o.backend as BackendChoice);
  const log = createLogger('bench:wide');
  if (!o.json) console.log(`backend: ${describeBackend()}`);
  // the data stage's tokenizer as the stages load it: its lower-casing and length from tokenizer_config.json
  const { tokenizer, spec } = loadTokenizer(o.data);
  // valid scores only: choices are made on them, and the test split is the pipeline's final evaluation's alone
  const [train, valid] = ['train', 'valid'].map((s) => readDataset(path.join(o.data, `${s}.arrow`)));
  const labels = train.labels;
  // texts are cut to the model's length, as in the teacher stage (whose model.max_length is the data's in tnews.yaml)
  const maxPositions = o.maxLength === undefined ? spec.maxLength : integers('--max-length', o.maxLength, 2)[0];
  if (o.method !== 'adam' && o.method !== 'naive_bayes') throw new Error(`--method: '${o.method}' is neither adam nor naive_bayes`);
  const seeds = o.method === 'naive_bayes' ? [0] : integers('--seeds', o.seeds, 0);
  const alphas = list(o.alpha).map((x) => {
    const a = Number(x);
    if (!(a > 0)) throw new Error(`--alpha: '${x}' is not a number > 0`);
    return a;
  });
  // the teacher stage's training params (validated like a pipeline's); the fit's epochs and learning rate on top
  const training = trainingParamsSchema.parse({ batch_size: Number(o.batchSize), weight_decay: Number(o.weightDecay), warmup_ratio: Number(o.warmupRatio), eval_every: Number(o.evalEvery) });
  const wideFit = { epochs: Number(o.epochs), lr: Number(o.lr) };
  for (const pooling of list(o.pooling) as WidePooling[]) {
    for (const buckets of integers('--buckets', o.buckets, 1)) {
      const valids: number[] = [];
      for (const seed of seeds) {
        // the smallest encoder that carries a classifier: only the table is trained and scored
        const base = Encoder.create({ ...DEFAULT_ENCODER, vocabSize: tokenizer.vocab.length, numLabels: labels.length, hiddenSize: 8, numLayers: 1, numHeads: 1, intermediateSize: 8, maxPositions }, seed);
        const encoder = withWide(base, { buckets, maxN: Number(o.maxN), pooling });
        const data = { tokenizer, train: train.rows, valid: valid.rows, labels };
        if (o.method === 'naive_bayes') {
          const logistic = o.logisticC === undefined ? undefined : { c: Number(o.logisticC), iterations: Number(o.logisticIterations) };
          const folds = integers('--cross-fit', o.crossFit, 0)[0];
          const nb = fitWideNaiveBayes(encoder, data, { alphas, logistic, ...(folds >= 2 ? { crossFit: { folds, seed: 1 } } : {}) }, log);
          const validAccuracy = evaluateClassifier(wideHead(encoder), tokenizer, valid.rows, labels).metrics.accuracy;
          const row = { buckets, pooling, method: 'naive_bayes', max_n: Number(o.maxN), tried: nb.tried, logistic: nb.logistic, alpha: nb.alpha, scale: nb.scale, valid_accuracy: validAccuracy, out_of_fold_accuracy: nb.out_of_fold_accuracy ?? null, seconds: nb.seconds };
          if (o.json) console.log(JSON.stringify(row));
          else console.log(`buckets ${buckets}, ${pooling} pooling, naive Bayes: alpha ${nb.alpha} (valid ${pct(nb.valid_accuracy)}), scale ${nb.scale.toFixed(3)}${nb.logistic ? `, + logistic regression at naive Bayes weight ${nb.logistic.naive_bayes_weight}` : ''}: valid ${pct(validAccuracy)}${nb.out_of_fold_accuracy !== undefined ? `, out-of-fold train ${pct(nb.out_of_fold_accuracy)}` : ''}, ${nb.seconds.toFixed(0)} s`);
          encoder.dispose();
          continue;
        }
        const cfg = wideFitConfig(training, wideFit, seed);
        const fit = await fitWide(encoder, data, cfg, log, `wide-${buckets}-${pooling}-seed${seed}`);
        const bestValid = fit.best?.score ?? 0;
        valids.push(bestValid);
        const row = { buckets, pooling, seed, max_n: Number(o.maxN), epochs: cfg.epochs, lr: cfg.wideLr, best_valid_accuracy: bestValid, best_step: fit.best?.step ?? null, seconds: fit.seconds };
        if (o.json) console.log(JSON.stringify(row));
        else console.log(`buckets ${buckets}, ${pooling} pooling, seed ${seed}: best valid ${pct(bestValid)} (step ${row.best_step}), ${fit.seconds.toFixed(0)} s`);
        encoder.dispose();
      }
      if (o.method === 'naive_bayes') continue;
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      if (o.json) console.log(JSON.stringify({ buckets, pooling, seeds, mean_best_valid_accuracy: mean(valids) }));
      else console.log(`buckets ${buckets}, ${pooling} pooling, mean of ${seeds.length} seed(s): best valid ${pct(mean(valids))}`);
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
