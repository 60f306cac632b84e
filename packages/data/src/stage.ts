/**
 * The data stage. Reads: the dataset files named in `source` (and `unlabeled`). Writes: `train.arrow`, `valid.arrow`,
 * `test.arrow` (+ `unlabeled.arrow`), `labels.json`, the tokenizer files (`vocab.txt`, `tokenizer.json`,
 * `tokenizer_config.json`, `special_tokens_map.json`: Hugging Face's layout, with the text normalisation every split got),
 * `data-card.json`, `data-card.md`.
 */
import * as path from 'node:path';
import { WordPieceTokenizer, buildCharVocab, deriveSeed, writeDataset, writeFileAtomic, writeJsonAtomic, writeTokenizerFiles, type Example, type StageContext, type StageDefinition } from '@distill/core';
import { cardMarkdown, countLabels, maxProportionGap, splitCard, type DataCard } from './card';
import { cleanLabeled, cleanUnlabeled, emptyReport, normalizeText, type CleanReport } from './clean';
import { paramsSchema, type DataParams } from './config';
import { checkLabels, loadClue, loadLabels, loadTsv, loadUnlabeled, splitLabels, type LabelSpec, type LoadResult, type RawRow } from './load';
import { iterativeStratifiedSplit, kShotSlices, stratifiedSplit } from './split';

function loadSplit(ctx: StageContext<DataParams>, file: string): LoadResult<RawRow> {
  const src = ctx.params.source;
  return src.format === 'clue' ? loadClue(file, src) : loadTsv(file, src.on_error, src);
}

function labelsFor(ctx: StageContext<DataParams>, rows: RawRow[]): LabelSpec[] {
  const src = ctx.params.source;
  if (src.labels) return loadLabels(ctx.path(src.labels));
  if (src.format === 'tsv') throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params.source.labels: a tsv dataset needs a label file`);
  return [...new Set(rows.map((r) => r.label!))].sort().map((name) => ({ name }));
}

/**
 * An empty split is an error that names it and says why, before Arrow would fail on it: the file had no rows, cleaning
 * removed them all, or the validation share of a small training set came out empty.
 */
function checkSplits(ctx: StageContext<DataParams>, splits: Record<string, Example[]>, raw: { train: number; valid: number | null; test: number }): void {
  const src = ctx.params.source;
  for (const name of ['train', 'valid', 'test'] as const) {
    if (splits[name].length) continue;
    const file = name === 'valid' ? (src.valid ? ctx.path(src.valid) : null) : ctx.path(src[name]);
    const why =
      name === 'valid' && !src.valid
        ? `valid_ratio ${ctx.params.valid_ratio} of the ${splits.train.length} cleaned training rows held none out; raise valid_ratio or give source.valid`
        : raw[name] === 0
          ? `${file} has no rows (empty, blank lines only, or every line skipped: see on_error)`
          : `cleaning removed all ${raw[name]} rows of ${file} (see the clean params)`;
    throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}: the ${name} split is empty: ${why}`);
  }
}

function toExamples(rows: RawRow[], index: Map<string, number>, separator?: string): Example[] {
  return rows.map((r) => {
    if (separator && r.label !== null) return { id: r.id, text: r.text, label: -1, labels: splitLabels(r.label, separator).map((l) => index.get(l)!) };
    return { id: r.id, text: r.text, label: r.label === null ? -1 : index.get(r.label)! };
  });
}

export async function runData(ctx: StageContext<DataParams>) {
  const p = ctx.params;
  const trainFile = ctx.path(p.source.train);
  const testFile = ctx.path(p.source.test);
  const trainRaw = loadSplit(ctx, trainFile);
  const testRaw = loadSplit(ctx, testFile);
  const labels = labelsFor(ctx, trainRaw.rows);
  const names = labels.map((l) => l.name);
  const index = new Map(names.map((n, i) => [n, i]));
  const sep = p.source.label_separator;
  const train = checkLabels(trainRaw.rows, labels, trainFile, p.source.on_error, sep);
  const test = checkLabels(testRaw.rows, labels, testFile, p.source.on_error, sep);
  const skipped = [...trainRaw.skipped, ...testRaw.skipped, ...train.skipped, ...test.skipped];
  let truncated = (trainRaw.truncated ?? 0) + (testRaw.truncated ?? 0);

  const validRaw = p.source.valid ? loadSplit(ctx, ctx.path(p.source.valid)) : null;
  const valid = validRaw ? checkLabels(validRaw.rows, labels, ctx.path(p.source.valid!), p.source.on_error, sep) : null;
  if (validRaw && valid) {
    skipped.push(...validRaw.skipped, ...valid.skipped);
    truncated += validRaw.truncated ?? 0;
  }
  const testRows = p.clean.normalize ? test.rows.map((r) => ({ ...r, text: normalizeText(r.text) })) : test.rows;
  const testTexts = new Set(testRows.map((r) => r.text));
  const trainReport = emptyReport();
  const cleaned = cleanLabeled(train.rows, p.clean, testTexts, trainReport);
  ctx.log.info(`train: ${train.rows.length} rows → ${cleaned.length} after cleaning`, trainReport);

  let trainRows = cleaned;
  let validRows: RawRow[];
  if (valid) {
    validRows = cleanLabeled(valid.rows, { ...p.clean, dedupe: false, conflicts: 'keep' }, testTexts, emptyReport());
    // a given valid split stays held out: a training row with one of its texts would be scored on its own label
    const validTexts = new Set(validRows.map((r) => r.text));
    trainRows = cleaned.filter((r) => !validTexts.has(r.text));
    trainReport.valid_overlap_removed = cleaned.length - trainRows.length;
    if (trainReport.valid_overlap_removed) ctx.log.info(`train: ${trainReport.valid_overlap_removed} rows removed whose text is in the valid split`);
  } else {
    const seed = deriveSeed(ctx.seed, 'valid-split');
    const [keep, held] = sep
      ? iterativeStratifiedSplit(cleaned.map((r) => splitLabels(r.label!, sep).map((l) => index.get(l)!)), p.valid_ratio, seed)
      : stratifiedSplit(cleaned.map((r) => index.get(r.label!)!), p.valid_ratio, seed);
    trainRows = keep.map((i) => cleaned[i]);
    validRows = held.map((i) => cleaned[i]);
  }
  const splits: Record<string, Example[]> = {
    train: toExamples(trainRows, index, sep),
    valid: toExamples(validRows, index, sep),
    test: toExamples(testRows, index, sep),
  };
  checkSplits(ctx, splits, { train: trainRaw.rows.length, valid: validRaw?.rows.length ?? null, test: testRaw.rows.length });
  const perLabel = countLabels(splits.train, names);
  if (!sep && Object.values(perLabel).filter((n) => n > 0).length < 2) {
    throw new Error(`${trainFile}: the training data has ${Object.values(perLabel).filter((n) => n > 0).length} class after cleaning (${Object.entries(perLabel).filter(([, n]) => n > 0).map(([l]) => l).join(', ') || 'none'}); a classifier needs at least two`);
  }
  const smallClasses = Object.fromEntries(Object.entries(perLabel).filter(([, n]) => n < p.min_class_rows));
  if (Object.keys(smallClasses).length) ctx.log.warn(`classes with fewer than min_class_rows ${p.min_class_rows} training rows: ${Object.entries(smallClasses).map(([l, n]) => `${l} ${n}`).join(', ')}`);
  if (p.train_per_label) {
    const all = splits.train;
    const idx = kShotSlices(all.map((r) => r.label), [p.train_per_label], deriveSeed(ctx.seed, 'kshot')).get(p.train_per_label)!;
    splits.train = idx.map((i) => all[i]);
    ctx.log.info(`train_per_label ${p.train_per_label}: ${splits.train.length} of ${all.length} training rows kept`);
  }
  for (const [k, idx] of kShotSlices(splits.train.map((r) => r.label), p.kshot, deriveSeed(ctx.seed, 'kshot'))) {
    splits[`train_k${k}`] = idx.map((i) => splits.train[i]);
  }

  let unlabeledReport: CleanReport | null = null;
  if (p.unlabeled.length) {
    unlabeledReport = emptyReport();
    const raw = p.unlabeled.flatMap((f, k) => loadUnlabeled(ctx.path(f), p.source.text_field).rows.map((r) => ({ ...r, id: `u${k}-${r.id}` })));
    const cleanedUnlabeled = cleanUnlabeled(raw, p.clean, testTexts, unlabeledReport);
    // valid texts leave the unlabeled data too: self-training, EM and distillation would otherwise fit to them, and
    // every choice made on valid would rank rows the model has already seen
    const validTexts = new Set(validRows.map((r) => r.text));
    const unlabeledRows = cleanedUnlabeled.filter((r) => !validTexts.has(r.text));
    unlabeledReport.valid_overlap_removed = cleanedUnlabeled.length - unlabeledRows.length;
    if (unlabeledReport.valid_overlap_removed) ctx.log.info(`unlabeled: ${unlabeledReport.valid_overlap_removed} rows removed whose text is in the valid split`);
    splits.unlabeled = toExamples(unlabeledRows, index, sep);
  }

  const vocabFile = p.vocab.input ? path.join(ctx.input(p.vocab.input), 'vocab.txt') : p.vocab.file ? ctx.path(p.vocab.file) : null;
  if (p.vocab.input) ctx.recordRead(vocabFile!);
  let vocab = vocabFile
    ? WordPieceTokenizer.fromFile(vocabFile, { lowerCase: p.vocab.lower_case }).vocab
    : buildCharVocab([...splits.train, ...(splits.unlabeled ?? [])].map((r) => r.text), { minFrequency: p.vocab.min_frequency, maxSize: p.vocab.max_size, lowerCase: p.vocab.lower_case });
  if (!vocabFile) {
    // prompt-based training predicts the verbalizer characters: a built vocabulary always has them
    const missing = [...new Set(labels.flatMap((l) => Array.from(l.verbalizer ?? '')))].filter((ch) => !vocab.includes(ch));
    vocab = [...vocab, ...missing];
  }
  const tokenizer = new WordPieceTokenizer(vocab, { lowerCase: p.vocab.lower_case });

  for (const [name, rows] of Object.entries(splits)) writeDataset(path.join(ctx.outDir, `${name}.arrow`), rows, names);
  writeJsonAtomic(path.join(ctx.outDir, 'labels.json'), labels);
  writeTokenizerFiles(ctx.outDir, vocab, { lowerCase: p.vocab.lower_case, normalization: p.clean.normalize ? 'nfkc' : 'none', maxLength: p.max_length });

  const card: DataCard = {
    labels: names,
    raw_rows: { train: trainRaw.rows.length, ...(validRaw ? { valid: validRaw.rows.length } : {}), test: testRaw.rows.length },
    raw_per_label: countLabels(toExamples(train.rows, index, sep), names),
    skipped_rows: skipped,
    truncated_texts: truncated,
    small_classes: smallClasses,
    cleaning: { train: trainReport, unlabeled: unlabeledReport },
    splits: Object.fromEntries(Object.entries(splits).map(([n, rows]) => [n, splitCard(rows, names, tokenizer, p.max_length)])),
    vocab: { size: vocab.length, source: p.vocab.input ? `${p.vocab.input}: ${path.relative(ctx.root, vocabFile!)}` : (p.vocab.file ?? 'built from train + unlabeled characters') },
    train_valid_max_gap_pp: maxProportionGap(splits.train, splits.valid, names.length),
  };
  writeJsonAtomic(path.join(ctx.outDir, 'data-card.json'), card);
  writeFileAtomic(path.join(ctx.outDir, 'data-card.md'), cardMarkdown(card));
  return {
    summary: {
      rows: Object.fromEntries(Object.entries(splits).map(([n, r]) => [n, r.length])),
      num_labels: names.length,
      vocab_size: vocab.length,
    },
  };
}

export const dataStage: StageDefinition<typeof paramsSchema> = { kind: 'data', schema: paramsSchema, run: runData };
