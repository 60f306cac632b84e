/**
 * `artifacts/<pipeline>/report.html`: one self-contained page (inline CSS and SVG, no scripts, no network) with the
 * variants table, the accuracy/latency/size chart, HTTP load test, distillation table, stage wall times, the data
 * card summary and the training curves.
 */
import { sawNoLabels, type Report } from './report';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : (100 * x).toFixed(2));
const num = (x: number, d = 2) => x.toFixed(d);
const interval = (ci: [number, number] | null | undefined) => (ci ? `[${pct(ci[0])}, ${pct(ci[1])}]` : '–');

function table(headers: string[], rows: (string | number)[][]): string {
  if (!rows.length) return '<p class="none">none</p>';
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export interface DataCardSummary {
  splits: Record<string, { rows: number; unk_rate: number; tokens: { mean: number; p95: number } }>;
  cleaning?: { train?: Record<string, number> };
}

export function renderReportHtml(report: Report, charts: Record<string, string>, dataCard: DataCardSummary | null): string {
  // multi-label models: accuracy is subset accuracy, and micro-F1 gets a column
  const multi = report.models.some((m) => m.micro_f1 !== undefined);
  const models = table(
    ['model', 'role', 'format', multi ? 'subset accuracy %' : 'accuracy %', '95% interval', 'on test rows not in train %', ...(multi ? ['micro-F1 %'] : []), 'macro-F1 %', 'params', 'size MB', 'p50 ms', 'p99 ms', 'mean ± std ms', 'texts/s at batch 32'],
    report.models.map((m) => [
      m.name, m.role, m.format, pct(m.accuracy), interval(m.ci95), m.accuracy_unseen !== undefined ? pct(m.accuracy_unseen) : '–', ...(multi ? [m.micro_f1 !== undefined ? pct(m.micro_f1) : '–'] : []), pct(m.macro_f1),
      m.params.toLocaleString('en'), num(m.size_bytes / 1e6), num(m.latency_ms.p50, 3), num(m.latency_ms.p99, 3), `${num(m.latency_ms.mean, 3)} ± ${num(m.latency_ms.std, 3)}`, m.throughput ? num(m.throughput.texts_per_s, 0) : '–',
    ]),
  );
  // which part of each model earns its accuracy: the n-gram table alone, the encoder alone, both
  const parted = report.models.filter((m) => m.components?.table);
  const components = parted.length
    ? table(
        ['model', 'table alone %', 'encoder alone %', 'both %', 'table params', 'encoder params'],
        parted.map((m) => {
          const c = m.components!;
          const cell = (x: { accuracy: number; ci95: [number, number] } | undefined) => (x ? `${pct(x.accuracy)} ${interval(x.ci95)}` : '–');
          return [m.name, cell(c.table), cell(c.encoder), cell(c.both), m.params_by_part?.table?.toLocaleString('en') ?? '–', m.params_by_part?.encoder?.toLocaleString('en') ?? '–'];
        }),
      )
    : '<p class="none">no model has an n-gram table</p>';
  const http = table(['model', 'concurrency', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors'], report.http.map((h) => [h.model, h.concurrency, h.requests, num(h.qps, 0), h.p50_ms, h.p99_ms, h.errors]));
  const terms = (t: Record<string, number> | null) => (t ? Object.entries(t).map(([k, v]) => `${k} ${num(v, 4)}`).join(', ') : '–');
  const distill = table(
    ['stage', 'objective', 'from', 'table', 'valid accuracy %', 'test accuracy %', '95% interval', 'on test rows not in train %', 'steps', 'loss terms at the end', 'seconds'],
    report.distillation.map((d) => [d.stage, d.objective, d.from ?? '–', d.table ? 'yes' : 'no', pct(d.valid_accuracy), pct(d.test_accuracy), interval(d.test_ci95), pct(d.test_accuracy_unseen), d.steps ?? '–', terms(d.final_loss_terms), num(d.seconds, 1)]),
  );
  const searched = report.distillation.filter((d) => d.search?.length);
  const search = searched.length
    ? searched
        .map((d) => `<h3>${esc(d.stage)}</h3>` + table(['rung', 'steps', 'α', 'T', 'lr', 'valid accuracy %', 'valid macro-F1 %'], d.search!.map((t) => [t.rung, t.steps, t.alpha, t.temperature, t.lr, pct(t.valid_accuracy ?? null), pct(t.valid_macro_f1 ?? null)])))
        .join('')
    : '';
  const mb = (b: number) => num(b / 1e6, 2);
  // a model that saw no labels: its accuracy against chance (one label in num_labels)
  const chance = report.dataset.num_labels ? 1 / report.dataset.num_labels : null;
  const zeroShot = report.models
    .filter((m) => sawNoLabels(m.format))
    .map((m) => `<p>${esc(m.name)} saw no labels at all: test accuracy ${pct(m.accuracy)} ${interval(m.ci95)}, against chance ${chance !== null ? pct(chance) : '–'} (one of ${report.dataset.num_labels} labels)${chance !== null && m.ci95 && m.ci95[0] > chance ? ', above chance: its interval lies wholly above it' : ''}.</p>`)
    .join('');
  const groups = report.groups?.length
    ? table(
        ['group', 'models', 'test accuracy %: mean ± std', 'each'],
        report.groups.map((g) => [g.name, g.models.join(', '), `${pct(g.mean)} ± ${num(100 * g.std, 2)}`, g.accuracies.map((a) => pct(a)).join(', ')]),
      )
    : '';
  const curve = report.learning_curve;
  const curveXs = curve ? [...new Set(curve.points.map((c) => c.x))].sort((a, b) => a - b) : [];
  const curveTable = curve
    ? table(
        ['method', ...curveXs.map(String)],
        [...new Set(curve.points.map((c) => c.method))].map((method) => [method, ...curveXs.map((x) => {
          const c = curve.points.find((y) => y.method === method && y.x === x);
          return c ? `${pct(c.accuracy)} ${interval(c.ci95)}` : '–';
        })]),
      )
    : '';
  const tables = (report.table_compression ?? [])
    .map(
      (t) =>
        `<h3>${esc(t.stage)}: ${esc(t.role)} (kept: ${t.kept_rows.toLocaleString('en')} of ${t.buckets.toLocaleString('en')} rows at ${t.bits} bits, ${mb(t.bytes)} MB${t.full_valid_accuracy !== undefined ? `; the float32 table ${pct(t.full_valid_accuracy)} on valid` : ''})</h3>` +
        (t.candidates?.length
          ? table(
              ['rows', 'bits', 'MB', 'valid accuracy %', ''],
              t.candidates.map((c) => [c.kept.toLocaleString('en'), c.bits, mb(c.bytes), pct(c.valid_accuracy), c.kept === t.kept_rows && c.bits === t.bits ? 'kept' : '']),
            )
          : ''),
    )
    .join('');
  const pruning = (report.pruning ?? [])
    .map(
      (r) =>
        `<h3>${esc(r.stage)} (pruning ${esc(r.model)}; written: ${r.chosen.layers !== undefined ? `${r.chosen.layers} layers, ` : ''}FFN keep ${r.chosen.keep}, ${r.chosen.intermediate_size} neurons a layer)</h3>` +
        table(['layers', 'FFN neurons kept', 'neurons a layer', 'encoder params', 'valid accuracy %'], r.structured.map((x) => [x.layers, x.keep, x.intermediate_size, x.encoder_params.toLocaleString('en'), pct(x.valid_accuracy)])) +
        (r.unstructured.length ? table(['weights zeroed', 'valid accuracy %', 'FP32 ONNX MB', 'gzip MB', 'p50 ms, batch 1'], r.unstructured.map((x) => [x.sparsity, pct(x.valid_accuracy), mb(x.onnx_bytes), mb(x.onnx_gzip_bytes), num(x.p50_ms, 3)])) : '') +
        (r.fine_pruned?.length ? table(['pruned while fine-tuning', 'weights zeroed', 'steps', 'valid accuracy %'], r.fine_pruned.map((x) => [x.method, num(x.sparsity, 3), x.steps, pct(x.valid_accuracy)])) : ''),
    )
    .join('');
  const stages = table(['stage', 'uses', 'seconds', 'backend'], Object.entries(report.stages).map(([s, v]) => [s, v.uses, num(v.seconds, 1), v.backend ?? '–']));
  const data = dataCard
    ? table(['split', 'rows', 'tokens mean / p95', 'UNK rate %'], Object.entries(dataCard.splits).map(([s, c]) => [s, c.rows, `${num(c.tokens.mean, 1)} / ${num(c.tokens.p95, 0)}`, num(100 * c.unk_rate, 2)])) +
      (dataCard.cleaning?.train ? table(['cleaning step (train)', 'count'], Object.entries(dataCard.cleaning.train).map(([k, v]) => [k.replace(/_/g, ' '), v])) : '')
    : '<p class="none">no data card</p>';
  const chart = (key: string) => (charts[key] ? `<figure>${charts[key]}</figure>` : '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(report.pipeline)} — distill-pipeline report</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.meta{color:#666}.none{color:#999}.warn{color:#a40;font-weight:600}figure{margin:1rem 0}
</style></head><body>
<h1>${esc(report.pipeline)}</h1>
<p class="meta">${esc(report.description ?? '')}<br>tfjs backend: ${esc(report.backend ?? '–')} · seed ${report.seed} · ${Object.entries(report.versions).map(([k, v]) => `${esc(k)} ${esc(v)}`).join(' · ')}${report.reproduce ? `<br>git ${esc(report.reproduce.git_commit ?? 'unknown')}${report.reproduce.git_dirty ? ' (uncommitted changes)' : ''} · rerun: <code>${esc(report.reproduce.command)}</code>` : ''}</p>
<p>Protocol: every choice (steps, smoothing, mixes, calibration, the INT8 guard) was made on the valid split; the test
split was read once, by the final evaluation. Intervals are 95% bootstrap intervals over the test rows: two accuracies
whose intervals overlap are not shown to differ.</p>
${report.mixed_runs ? `<p class="warn">These outputs come from more than one run: ${Object.entries(report.mixed_runs.commits).map(([c, st]) => `${esc(c.slice(0, 7))}: ${esc(st.join(', '))}`).join('; ')}${report.mixed_runs.older_than_input.length ? `; older than what they read: ${esc(report.mixed_runs.older_than_input.join(', '))}` : ''}.</p>` : ''}
<h2>Models</h2>${models}${zeroShot}${chart('tradeoff')}
${groups ? `<h2>Across splits</h2>${groups}<p>Each group is one method trained on several splits (e.g. FewCLUE's train_0 … train_4, each with its own dev split for every choice), all scored on the same test set; the standard deviation is over the models.</p>` : ''}
${curve ? `<h2>Learning curve (test)</h2>${chart('learning_curve')}<p>Test accuracy (%) with its 95% interval, by ${esc(curve.x_title)}: the same methods trained on more or fewer labeled rows, every choice made on the same valid split.</p>${curveTable}` : ''}
<h2>What each part earns</h2>${components}
<h2>HTTP load test</h2>${http}
<h2>Distillation</h2>${distill}
${search ? `<h2>α × T search (valid)</h2>${search}${chart('search')}` : ''}
${tables ? `<h2>INT8 n-gram table (valid)</h2>${tables}<p>The rows with the largest |weight| are kept, each 8 or 4 bits wide with its own float16 scale; every other bucket reads a zero row. The candidate with the fewest bytes within the allowed drop from the float32 table on valid is kept.</p>` : ''}
${pruning ? `<h2>Pruning (valid)</h2>${pruning}<p>Structured pruning removes whole FFN neurons, and with <code>layers_keep</code> whole layers: a smaller dense model, and less work for every kernel. Unstructured zeros leave the shape alone: ONNX Runtime's CPU kernels are dense, so the file and the latency stay as they were and only the compressed size shrinks.</p>${chart('pruning')}` : ''}
<h2>Training curves</h2>${chart('curves') || '<p class="none">no curves</p>'}
<h2>Stages</h2>${stages}
<h2>Data</h2>${data}
</body></html>
`;
}
