/**
 * Charts of the report as inline SVG, rendered at build time with vega-lite → vega (no browser, no network):
 * accuracy vs latency with file size as bubble area, validation curves of every training stage, the α × T search
 * trials, accuracy against sparsity for every prune stage, and the learning curve.
 */
import type { Report } from './report';

export interface Curve {
  stage: string;
  step: number;
  metric: string;
  value: number;
}

// vega is ESM with top-level await: load it with a real dynamic import (not transpiled to require).
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;

async function toSvg(spec: object): Promise<string> {
  const [vega, vl] = await Promise.all([importEsm('vega'), importEsm('vega-lite')]);
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  return view.toSVG();
}

/** A line chart with points: one line per value of `color`, y not forced to start at zero. */
function lineChart(title: string, values: object[], x: { field: string; title: string }, y: { field: string; title: string }, color: string, extra: object = {}): Promise<string> {
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 520,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { ...x, type: 'quantitative' },
      y: { ...y, type: 'quantitative', scale: { zero: false } },
      color: { field: color, type: 'nominal' },
      ...extra,
    },
  });
}

export async function renderCharts(report: Report, curves: Curve[]): Promise<Record<string, string>> {
  const charts: Record<string, string> = {};
  const points = report.models.map((m) => ({ name: m.name, format: m.format, accuracy: 100 * m.accuracy, p50: m.latency_ms.p50, mb: m.size_bytes / 1e6 }));
  if (points.length) {
    charts.tradeoff = await toSvg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Accuracy vs latency (bubble area: file size)',
      width: 520,
      height: 300,
      data: { values: points },
      layer: [
        {
          mark: { type: 'circle', opacity: 0.6 },
          encoding: {
            x: { field: 'p50', type: 'quantitative', title: 'p50 latency, batch 1 (ms)', scale: { type: 'log' } },
            y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
            size: { field: 'mb', type: 'quantitative', title: 'size (MB)', scale: { range: [60, 2000] } },
            color: { field: 'format', type: 'nominal' },
          },
        },
        { mark: { type: 'text', dy: -14, fontSize: 10 }, encoding: { x: { field: 'p50', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'name' } } },
      ],
    });
  }
  if (curves.length) {
    charts.curves = await lineChart('Validation score per evaluation', curves, { field: 'step', title: 'optimizer step' }, { field: 'value', title: 'validation score' }, 'stage', { strokeDash: { field: 'metric', type: 'nominal' } });
  }
  const trials = report.distillation.flatMap((d) => (d.search ?? []).map((t, i) => ({ stage: d.stage, trial: i + 1, rung: String(t.rung), steps: t.steps, accuracy: 100 * (t.valid_accuracy ?? NaN), config: `α=${t.alpha} T=${t.temperature} lr=${t.lr}` })));
  if (trials.length) {
    charts.search = await toSvg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Search trials: valid accuracy by trial (colour: rung of successive halving)',
      width: 520,
      height: 240,
      data: { values: trials },
      mark: { type: 'point', filled: true, size: 60 },
      encoding: {
        x: { field: 'trial', type: 'quantitative', title: 'trial (in order)' },
        y: { field: 'accuracy', type: 'quantitative', title: 'valid accuracy (%)', scale: { zero: false } },
        color: { field: 'rung', type: 'nominal' },
        shape: { field: 'stage', type: 'nominal' },
        tooltip: [{ field: 'config' }, { field: 'steps' }],
      },
    });
  }
  const pruned = (report.pruning ?? []).flatMap((r) => [
    ...r.structured.map((x) => ({ series: `${r.stage}: FFN neurons removed (structured${new Set(r.structured.map((y) => y.layers)).size > 1 ? `, ${x.layers} layers` : ''})`, sparsity: 100 * (1 - x.keep), accuracy: 100 * x.valid_accuracy })),
    ...r.unstructured.map((x) => ({ series: `${r.stage}: weights zeroed (magnitude)`, sparsity: 100 * x.sparsity, accuracy: 100 * x.valid_accuracy })),
    ...(r.fine_pruned ?? []).map((x) => ({ series: `${r.stage}: weights zeroed while fine-tuning (${x.method})`, sparsity: 100 * x.sparsity, accuracy: 100 * x.valid_accuracy })),
  ]);
  if (pruned.length) {
    charts.pruning = await lineChart('Accuracy against sparsity (valid; one-shot, and gradual while fine-tuning)', pruned, { field: 'sparsity', title: 'sparsity (% of FFN neurons or of layer weights)' }, { field: 'accuracy', title: 'valid accuracy (%)' }, 'series');
  }
  if (report.learning_curve) {
    const c = report.learning_curve;
    charts.learning_curve = await toSvg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Learning curve: test accuracy against labeled data (bars: 95% interval)',
      width: 520,
      height: 280,
      data: { values: c.points.map((p) => ({ method: p.method, x: p.x, accuracy: 100 * p.accuracy, lo: 100 * (p.ci95?.[0] ?? p.accuracy), hi: 100 * (p.ci95?.[1] ?? p.accuracy) })) },
      encoding: { x: { field: 'x', type: 'quantitative', title: c.x_title, scale: { type: 'log', base: 2 } }, color: { field: 'method', type: 'nominal' } },
      layer: [
        { mark: { type: 'line', point: true }, encoding: { y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } } } },
        { mark: 'rule', encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      ],
    });
  }
  return charts;
}
