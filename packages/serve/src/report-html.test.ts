import { renderReportHtml } from './report-html';
import type { Report } from './report';

const REPORT: Report = {
  pipeline: 'demo',
  description: 'a <test> run',
  backend: 'wasm',
  seed: 13,
  stages: { data: { uses: 'data', seconds: 1.5, backend: null } },
  dataset: { rows: { train: 10 }, num_labels: 2 },
  models: [
    {
      name: 'student-int8', role: 'student', format: 'onnx-int8', file: 'x', accuracy: 0.5625, ci95: [0.55, 0.575], macro_f1: 0.5, params: 1234567, params_by_part: { table: 1000000, encoder: 234567 }, size_bytes: 2_500_000, latency_ms: { p50: 1.234, p99: 2.5, mean: 1.3, std: 0.2 },
      components: { table: { accuracy: 0.51, ci95: [0.5, 0.52] }, encoder: { accuracy: 0.3, ci95: [0.29, 0.31] }, both: { accuracy: 0.5625, ci95: [0.55, 0.575] } },
    },
  ],
  http: [{ model: 'student-int8', concurrency: 32, requests: 2000, qps: 1234.4, p50_ms: 20, p99_ms: 60, errors: 0 }],
  distillation: [{ stage: 'tsd', objective: 'task', from: 'tad', table: false, valid_accuracy: 0.54, test_accuracy: 0.55, test_ci95: [0.54, 0.56], test_accuracy_unseen: 0.53, test_macro_f1: 0.5, steps: 100, seconds: 60, final_loss_terms: { soft: 0.25, hard: 0.5 } }],
  versions: { node: 'v20' },
};

describe('report.html', () => {
  const html = renderReportHtml(REPORT, { tradeoff: '<svg id="chart"></svg>' }, { splits: { train: { rows: 10, unk_rate: 0.01, tokens: { mean: 20, p95: 30 } } }, cleaning: { train: { duplicates_removed: 3 } } });
  it('is one self-contained page: no scripts, no external resources', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });
  it('shows every section with the numbers, escaped', () => {
    expect(html).toContain('a &lt;test&gt; run');
    expect(html).toContain('<td>56.25</td>');
    expect(html).toContain('<td>1,234,567</td>');
    expect(html).toContain('<td>1234</td>'); // req/s
    expect(html).toContain('<td>tad</td>');
    expect(html).toContain('<td>[55.00, 57.50]</td>'); // the served model's interval
    expect(html).toContain('<td>51.00 [50.00, 52.00]</td>'); // the table alone
    expect(html).toContain('<td>30.00 [29.00, 31.00]</td>'); // the encoder alone
    expect(html).toContain('<td>1,000,000</td>'); // table parameters
    expect(html).toContain('<td>soft 0.2500, hard 0.5000</td>');
    expect(html).toContain('<svg id="chart"></svg>');
    expect(html).toContain('duplicates removed');
    expect(html).toContain('no curves');
  });
});

describe('report.html with an α × T search', () => {
  const search = [
    { alpha: 0.5, temperature: 2, lr: 0.001, rung: 0, steps: 30, valid_accuracy: 0.41, valid_macro_f1: 0.4 },
    { alpha: 0.9, temperature: 4, lr: 0.003, rung: 0, steps: 30, valid_accuracy: 0.45, valid_macro_f1: 0.44 },
    { alpha: 0.9, temperature: 4, lr: 0.003, rung: 1, steps: 90, valid_accuracy: 0.52, valid_macro_f1: 0.5 },
  ];
  const report: Report = { ...REPORT, distillation: [{ ...REPORT.distillation[0], search }] };
  it('lists every trial of every rung, with its chart', () => {
    // (renderCharts needs vega's ESM, which jest does not load: the report CLI renders it, under tsx)
    const html = renderReportHtml(report, { search: '<svg id="search"></svg>' }, null);
    expect(html).toContain('<svg id="search"></svg>');
    expect(html).toContain('α × T search (valid)');
    expect(html).toContain('<tr><td>1</td><td>90</td><td>0.9</td><td>4</td><td>0.003</td><td>52.00</td><td>50.00</td></tr>');
    expect(html.match(/<tr><td>0<\/td><td>30<\/td>/g)).toHaveLength(2);
    // without a search, no such section
    expect(renderReportHtml(REPORT, {}, null)).not.toContain('α × T search');
  });
});

describe('report.html with a zero-shot model', () => {
  it('says it saw no labels and compares it with chance', () => {
    const zs = { ...REPORT.models[0], name: 'zero-shot', format: 'zero-shot', accuracy: 0.26, ci95: [0.24, 0.28] as [number, number] };
    const html = renderReportHtml({ ...REPORT, dataset: { rows: {}, num_labels: 15 }, models: [...REPORT.models, zs] }, {}, null);
    expect(html).toContain('zero-shot saw no labels at all: test accuracy 26.00 [24.00, 28.00], against chance 6.67 (one of 15 labels), above chance: its interval lies wholly above it.');
    expect(renderReportHtml(REPORT, {}, null)).not.toContain('saw no labels');
  });
});

describe('report.html with groups of models', () => {
  it('shows each group with its mean ± std and every accuracy', () => {
    const groups = [{ name: 'student over 3 splits', models: ['student-int8', 'student-int8-split1', 'student-int8-split2'], accuracies: [0.3, 0.32, 0.34], mean: 0.32, std: 0.02 }];
    const html = renderReportHtml({ ...REPORT, groups }, {}, null);
    expect(html).toContain('<h2>Across splits</h2>');
    expect(html).toContain('<tr><td>student over 3 splits</td><td>student-int8, student-int8-split1, student-int8-split2</td><td>32.00 ± 2.00</td><td>30.00, 32.00, 34.00</td></tr>');
    expect(renderReportHtml(REPORT, {}, null)).not.toContain('Across splits');
  });
});

describe('report.html with a learning curve', () => {
  it('tabulates each method by x, with intervals, and a point it lacks as a dash', () => {
    const learning_curve = {
      x_title: 'labeled examples per class',
      points: [
        { method: 'naive Bayes', x: 8, model: 'nb-8', accuracy: 0.2, ci95: [0.18, 0.22] as [number, number] },
        { method: 'naive Bayes', x: 32, model: 'nb-32', accuracy: 0.3, ci95: [0.28, 0.32] as [number, number] },
        { method: 'student', x: 32, model: 's-32', accuracy: 0.35, ci95: [0.33, 0.37] as [number, number] },
      ],
    };
    const html = renderReportHtml({ ...REPORT, learning_curve }, {}, null);
    expect(html).toContain('<h2>Learning curve (test)</h2>');
    expect(html).toContain('<tr><td>naive Bayes</td><td>20.00 [18.00, 22.00]</td><td>30.00 [28.00, 32.00]</td></tr>');
    expect(html).toContain('<tr><td>student</td><td>–</td><td>35.00 [33.00, 37.00]</td></tr>');
    expect(renderReportHtml(REPORT, {}, null)).not.toContain('Learning curve');
  });
});

describe('report.html with a compressed n-gram table', () => {
  it('lists every candidate scored on valid and marks the one kept', () => {
    const table_compression = [
      {
        stage: 'quantize', role: 'student', kept_rows: 4095, bits: 4, buckets: 65536, bytes: 180_000, full_valid_accuracy: 0.5,
        candidates: [{ kept: 4095, bits: 8, bytes: 250_000, valid_accuracy: 0.499 }, { kept: 4095, bits: 4, bytes: 180_000, valid_accuracy: 0.498 }],
      },
    ];
    const html = renderReportHtml({ ...REPORT, table_compression }, {}, null);
    expect(html).toContain('<h2>INT8 n-gram table (valid)</h2>');
    expect(html).toContain('quantize: student (kept: 4,095 of 65,536 rows at 4 bits, 0.18 MB; the float32 table 50.00 on valid)');
    expect(html).toContain('<tr><td>4,095</td><td>4</td><td>0.18</td><td>49.80</td><td>kept</td></tr>');
    expect(html).toContain('<tr><td>4,095</td><td>8</td><td>0.25</td><td>49.90</td><td></td></tr>');
    expect(renderReportHtml(REPORT, {}, null)).not.toContain('INT8 n-gram table');
  });
});

describe('report.html with a prune stage', () => {
  const pruning = [
    {
      stage: 'prune', model: 'distill', base_valid_accuracy: 0.55,
      structured: [{ layers: 4, keep: 1, intermediate_size: 1200, encoder_params: 1829007, valid_accuracy: 0.55 }, { layers: 4, keep: 0.25, intermediate_size: 300, encoder_params: 930207, valid_accuracy: 0.548 }],
      unstructured: [{ sparsity: 0, valid_accuracy: 0.55, onnx_bytes: 7_000_000, onnx_gzip_bytes: 6_500_000, p50_ms: 0.71 }, { sparsity: 0.9, valid_accuracy: 0.31, onnx_bytes: 7_000_000, onnx_gzip_bytes: 1_200_000, p50_ms: 0.7 }],
      fine_pruned: [{ method: 'movement' as const, sparsity: 0.9, valid_accuracy: 0.42, steps: 300 }],
      chosen: { layers: 4, keep: 0.25, intermediate_size: 300 },
    },
  ];
  it('shows the structured and unstructured curves with the chart, and nothing without a prune stage', () => {
    const html = renderReportHtml({ ...REPORT, pruning }, { pruning: '<svg id="pruning"></svg>' }, null);
    expect(html).toContain('<h2>Pruning (valid)</h2>');
    expect(html).toContain('written: 4 layers, FFN keep 0.25, 300 neurons a layer');
    expect(html).toContain('<tr><td>4</td><td>0.25</td><td>300</td><td>930,207</td><td>54.80</td></tr>');
    expect(html).toContain('<tr><td>0.9</td><td>31.00</td><td>7.00</td><td>1.20</td><td>0.700</td></tr>');
    expect(html).toContain('<tr><td>movement</td><td>0.900</td><td>300</td><td>42.00</td></tr>');
    expect(html).toContain('<svg id="pruning"></svg>');
    expect(renderReportHtml(REPORT, {}, null)).not.toContain('Pruning (valid)');
  });
});
