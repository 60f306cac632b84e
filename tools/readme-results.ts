/**
 * Writes the README's results section from a pipeline report: `npm run readme:results [-- artifacts/tnews/report.json]`.
 * The section sits between the markers `<!-- results:start -->` and `<!-- results:end -->` and is replaced whole, so
 * the README quotes each result once, as the report has it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Report } from '../packages/serve/src/report';

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : (100 * x).toFixed(2));
const ci = (c: [number, number] | null | undefined) => (c ? `[${pct(c[0])}, ${pct(c[1])}]` : '–');

export function resultsSection(report: Report, reportFile: string): string {
  const lines: string[] = [];
  const commit = report.reproduce?.git_commit ? ` at commit \`${report.reproduce.git_commit.slice(0, 7)}\`${report.reproduce.git_dirty ? ' (with uncommitted changes)' : ''}` : '';
  lines.push(`From \`${reportFile}\`${commit}: test accuracy (%) with its 95% bootstrap interval, read once by the final evaluation.`);
  lines.push('');
  lines.push('| model | accuracy | 95% interval | unseen rows | table alone | encoder alone | size MB | p50 ms (batch 1) |');
  lines.push('|---|---:|---|---:|---:|---:|---:|---:|');
  for (const m of report.models.filter((x) => x.role !== 'student' || !x.stage || !report.distillation.some((d) => d.stage === x.stage && !d.table))) {
    const c = m.components;
    lines.push(`| ${m.name} | ${pct(m.accuracy)} | ${ci(m.ci95)} | ${pct(m.accuracy_unseen)} | ${c?.table ? pct(c.table.accuracy) : '–'} | ${c?.table ? pct(c.encoder?.accuracy) : '–'} | ${(m.size_bytes / 1e6).toFixed(2)} | ${m.latency_ms.p50.toFixed(3)} |`);
  }
  const pure = report.distillation.filter((d) => !d.table && d.test_accuracy !== null);
  if (pure.length) {
    lines.push('');
    lines.push('Distillation ablation: the same pure-transformer student (no n-gram table), same TSD step budget.');
    lines.push('');
    lines.push('| stage | valid | test | 95% interval | steps |');
    lines.push('|---|---:|---:|---|---:|');
    for (const d of pure) lines.push(`| ${d.stage}: ${d.description ?? d.objective} | ${pct(d.valid_accuracy)} | ${pct(d.test_accuracy)} | ${ci(d.test_ci95)} | ${d.steps ?? '–'} |`);
  }
  const byName = (n: string) => report.models.find((m) => m.name === n);
  const [teacher, student, pruned] = [byName('teacher-fp32'), byName('student-int8'), byName('pruned-int8')];
  if (teacher && student) {
    lines.push('');
    lines.push(`Size: student-int8 ${(student.size_bytes / 1e6).toFixed(2)} MB is 1/${(teacher.size_bytes / student.size_bytes).toFixed(1)} of teacher-fp32 (${(teacher.size_bytes / 1e6).toFixed(2)} MB).`);
  }
  if (student && pruned) {
    lines.push(`Structured pruning: pruned-int8 runs at p50 ${pruned.latency_ms.p50.toFixed(3)} ms against student-int8's ${student.latency_ms.p50.toFixed(3)} ms at batch 1 (a speed-up of ${(student.latency_ms.p50 / pruned.latency_ms.p50).toFixed(2)}×), test accuracy ${pct(pruned.accuracy)} against ${pct(student.accuracy)}.`);
  }
  const seconds = Object.values(report.stages).reduce((a, s) => a + s.seconds, 0);
  lines.push('');
  lines.push(`Backend: ${report.backend ?? '–'}; stage time summed over stages: ${(seconds / 60).toFixed(0)} min.`);
  return lines.join('\n');
}

export function replaceSection(readme: string, section: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md: no '${START}' … '${END}' markers`);
  return `${readme.slice(0, a + START.length)}\n${section}\n${readme.slice(b)}`;
}

if (require.main === module) {
  const reportFile = process.argv[2] ?? 'artifacts/tnews/report.json';
  if (!fs.existsSync(reportFile)) {
    console.error(`${reportFile}: no report; run the pipeline first (npx nx run pipelines:tnews)`);
    process.exit(1);
  }
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as Report;
  const readmeFile = path.resolve(__dirname, '..', 'README.md');
  fs.writeFileSync(readmeFile, replaceSection(fs.readFileSync(readmeFile, 'utf8'), resultsSection(report, reportFile)));
  console.log(`README.md: results section written from ${reportFile}`);
}
