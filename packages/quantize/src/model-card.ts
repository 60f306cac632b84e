/**
 * The model card (`README.md`) of a served model directory, in Hugging Face's layout: YAML front matter (language,
 * tags, the model-index with its metrics), then what the model is, how to use it, its data, its scores with their
 * intervals, its limits and how it was made. Scores here are on the valid split: the test split is sealed until the
 * final evaluation, whose figures are in the pipeline's report.
 */
import { stringify } from 'yaml';
import type { Normalization } from '@distill/core';

export interface CardFile {
  file: string;
  precision: 'FP32' | 'INT8';
  bytes: number;
  valid_accuracy: number;
  valid_ci95: [number, number];
  valid_macro_f1: number;
}

export interface ModelCardInfo {
  pipeline: string;
  role: string;
  /** the stage that trained the model, and its kind and parameters */
  source: { stage: string; uses: string; params: unknown };
  labels: string[];
  params: number;
  params_by_part: Record<string, number>;
  files: CardFile[];
  data: { train_rows: number | null; valid_rows: number; normalization: Normalization; lower_case: boolean; max_length: number };
  git_commit: string | null;
  /** a multi-label model: each label's threshold (chosen on valid); its accuracy is subset accuracy */
  thresholds?: number[] | null;
}

const pct = (x: number) => (100 * x).toFixed(2);

/** What a multi-label model's outputs mean, with its thresholds (nothing for a single-label one). */
function multiLabelNote(m: ModelCardInfo): string {
  if (!m.thresholds) return '';
  return `
Multi-label: each label has its own probability, the sigmoid of its logit (the graph's \`probabilities\` output); a
text gets every label at or above that label's threshold, chosen on valid (also in \`serving.json\` and the ONNX
metadata): ${m.thresholds.map((t, j) => `\`${m.labels[j]}\` ${t}`).join(', ')}. Subset accuracy counts a text right
when its predicted label set is exactly its gold set.
`;
}

export function modelCard(m: ModelCardInfo): string {
  const name = `${m.pipeline}-${m.role}`;
  const accuracyName = m.thresholds ? 'subset accuracy' : 'accuracy';
  const front = {
    language: ['zh'],
    library_name: 'onnxruntime',
    pipeline_tag: 'text-classification',
    tags: ['distill-pipeline', 'onnx', 'text-classification', ...(m.files.some((f) => f.precision === 'INT8') ? ['int8'] : [])],
    metrics: ['accuracy', 'f1'],
    'model-index': [
      {
        name,
        results: m.files.map((f) => ({
          task: { type: 'text-classification', name: 'Text Classification' },
          dataset: { name: `${m.pipeline} (valid split)`, type: m.pipeline, split: 'valid' },
          metrics: [
            { type: 'accuracy', value: Number(pct(f.valid_accuracy)), name: `valid ${accuracyName}, ${f.precision} (${f.file})` },
            { type: 'f1', value: Number(pct(f.valid_macro_f1)), name: `valid macro-F1, ${f.precision} (${f.file})`, args: { average: 'macro' } },
          ],
        })),
      },
    ],
  };
  const parts = Object.entries(m.params_by_part).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ');
  const table = m.files.map((f) => `| \`${f.file}\` | ${f.precision} | ${(f.bytes / 1e6).toFixed(2)} MB | ${pct(f.valid_accuracy)} [${pct(f.valid_ci95[0])}, ${pct(f.valid_ci95[1])}] | ${pct(f.valid_macro_f1)} |`);
  const norm = m.data.normalization === 'nfkc' ? 'NFKC, control and format characters removed, whitespace collapsed' : 'none';
  return `---
${stringify(front).trimEnd()}
---

# ${name}

A Chinese text classifier over ${m.labels.length} labels, made by the \`${m.pipeline}\` pipeline of distill-pipeline
(stage \`${m.source.stage}\`, a \`${m.source.uses}\` stage) and exported to ONNX. ${m.params.toLocaleString('en-US')} parameters (${parts}).
${m.params_by_part.table ? `\nThe model is a BERT-style encoder with a classifier plus a hashed n-gram table, a second head whose logits are added
to the encoder's (graph outputs \`encoder_logits\` and \`table_logits\` beside \`logits\`). It is not a plain
\`BertForSequenceClassification\`: use the ONNX file, not the encoder weights alone.\n` : ''}
Labels, in output order: ${m.labels.map((l) => `\`${l}\``).join(', ')}.

## How to use

In Node, with this repository's runtime (the tokenizer, the normalisation and the length limit applied):

\`\`\`ts
import { OnnxClassifier } from '@distill/runtime';
const clf = await OnnxClassifier.load('${m.files[m.files.length - 1]?.file ?? 'model.onnx'}');
console.log(await clf.classify(['…'], 3));
\`\`\`

Or serve it over HTTP (\`npx tsx packages/serve/src/server-cli.ts --model <this directory>/${m.files[m.files.length - 1]?.file ?? 'model.onnx'}\`), or predict a file
(\`npm run predict -- --model … --input texts.jsonl --output predictions.jsonl\`).

Elsewhere (Python, C++, …): \`tokenizer.json\` is a Hugging Face \`tokenizers\` file with the text normalisation
built in; feed \`input_ids\` and \`attention_mask\` (int64, [batch, sequence]), at most ${m.data.max_length} tokens
([CLS] and [SEP] included; longer inputs must be cut), and read \`logits\` ([batch, ${m.labels.length}]). The same settings are in each
\`.onnx\` file's metadata (\`max_length\`, \`do_lower_case\`, \`text_normalization\`, \`labels\`). See docs/formats.md.

## Training data

${m.data.train_rows !== null ? `${m.data.train_rows.toLocaleString('en-US')} training rows; ` : ''}${m.data.valid_rows.toLocaleString('en-US')} valid rows (the scores below). Text normalisation: ${norm}.
Lower-cased: ${m.data.lower_case ? 'yes' : 'no'}. The data stage's \`data-card.md\` lists the cleaning, the skipped rows and the label counts.

## Evaluation (valid split)

| file | precision | size | ${accuracyName} [95% CI] | macro-F1 |
|---|---|---|---|---|
${table.join('\n')}
${multiLabelNote(m)}
Intervals: 1,000 bootstrap resamples of the valid rows. The valid split chose this model's settings (best step, head
mix, quantization guard), so these scores lean optimistic; the test-split scores, read once by the final evaluation,
are in the pipeline's report (\`artifacts/${m.pipeline}/report.html\`).

## Intended use and limitations

- Intended: classifying short Chinese texts like the training data's, on CPU, where a small fast model matters.
- Trained from scratch on this task's data (no pretrained language model): texts far from the training data's topic
  and style get confident but unreliable answers: check the score before trusting a label.
- Inputs longer than ${m.data.max_length} tokens are cut; only the beginning counts.
- Characters missing from \`vocab.txt\` are read as \`[UNK]\`.

## How it was made

Pipeline \`${m.pipeline}\`, stage \`${m.source.stage}\` (\`${m.source.uses}\`), git commit \`${m.git_commit ?? 'unknown'}\`. Its parameters:

\`\`\`yaml
${stringify(m.source.params ?? {}).trimEnd()}
\`\`\`
`;
}
