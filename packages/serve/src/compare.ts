/**
 * Compares two or more report.json files side by side: per model (by name) accuracy, macro-F1, size and latency,
 * its 95% interval, accuracy on unseen test rows and, for models with an n-gram table, each part's accuracy; then stage
 * wall times. Each value after the first report carries its difference to the first.
 */
import type { Report } from './report';

type Cell = number | null;

function fmt(v: Cell, base: Cell, digits: number, scale = 1): string {
  if (v === null) return '–';
  const s = (v * scale).toFixed(digits);
  if (base === null || v === base) return s;
  const d = (v - base) * scale;
  return `${s} (${d > 0 ? '+' : ''}${d.toFixed(digits)})`;
}

function rowsFor(reports: readonly Report[], label: string, get: (r: Report) => Cell, digits: number, scale = 1): string {
  const values = reports.map(get);
  return `| ${label} | ${values.map((v) => fmt(v, values[0], digits, scale)).join(' | ')} |`;
}

const interval = (ci: [number, number] | undefined) => (ci ? `[${(100 * ci[0]).toFixed(2)}, ${(100 * ci[1]).toFixed(2)}]` : '–');

/**
 * The comparison as a Markdown table. Accuracy differences come with each report's 95% bootstrap interval: a
 * difference inside the intervals is no difference.
 */
export function compareReports(names: readonly string[], reports: readonly Report[]): string {
  if (reports.length < 2) throw new Error('compare needs at least two reports');
  const header = `| | ${names.join(' | ')} |\n|---|${names.map(() => '---:').join('|')}|`;
  const lines: string[] = ['# Report comparison', '', header];
  lines.push(`| backend | ${reports.map((r) => r.backend ?? '–').join(' | ')} |`);
  const modelNames = [...new Set(reports.flatMap((r) => r.models.map((m) => m.name)))];
  for (const name of modelNames) {
    const m = (r: Report) => r.models.find((x) => x.name === name);
    lines.push(`| **${name}** | ${reports.map(() => '').join(' | ')} |`);
    lines.push(rowsFor(reports, 'accuracy %', (r) => m(r)?.accuracy ?? null, 2, 100));
    lines.push(`| 95% interval | ${reports.map((r) => interval(m(r)?.ci95)).join(' | ')} |`);
    for (const part of ['table', 'encoder'] as const) {
      if (reports.some((r) => m(r)?.components?.table)) lines.push(rowsFor(reports, `${part} alone %`, (r) => m(r)?.components?.[part]?.accuracy ?? null, 2, 100));
    }
    lines.push(rowsFor(reports, 'accuracy % (test rows not in train)', (r) => m(r)?.accuracy_unseen ?? null, 2, 100));
    lines.push(rowsFor(reports, 'macro-F1 %', (r) => m(r)?.macro_f1 ?? null, 2, 100));
    lines.push(rowsFor(reports, 'size MB', (r) => (m(r) ? m(r)!.size_bytes / 1e6 : null), 2));
    lines.push(rowsFor(reports, 'p50 ms', (r) => m(r)?.latency_ms.p50 ?? null, 3));
    lines.push(rowsFor(reports, 'p99 ms', (r) => m(r)?.latency_ms.p99 ?? null, 3));
    lines.push(rowsFor(reports, 'texts/s at batch 32', (r) => m(r)?.throughput?.texts_per_s ?? null, 0));
  }
  const stageNames = [...new Set(reports.flatMap((r) => Object.keys(r.stages)))];
  lines.push(`| **stage wall time (s)** | ${reports.map(() => '').join(' | ')} |`);
  for (const s of stageNames) lines.push(rowsFor(reports, s, (r) => r.stages[s]?.seconds ?? null, 1));
  lines.push(rowsFor(reports, 'total', (r) => Object.values(r.stages).reduce((a, x) => a + x.seconds, 0), 1));
  return lines.join('\n') + '\n';
}
