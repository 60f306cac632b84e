/**
 * Soak test of the classification service (not a unit test): starts `server-cli.ts` on a free loopback port, measures
 * its peak req/s at a concurrency, then holds a fixed request rate (a share of that peak) for a number of minutes and
 * reports, per interval, requests, errors, p50/p99 latency and the server's resident memory, then whether memory grew
 * after warm-up. Loopback only; bounded in time.
 *
 *   npm run bench:soak -- --model artifacts/tnews/quantize/student/model.int8.onnx --texts artifacts/tnews/data/valid.arrow
 *   options: --minutes 10  --share 0.8  --concurrency 32  --interval 30  --json
 */
import * as fs from 'node:fs';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { readDataset } from '@distill/core';
import { classifyRequests, serverArgs, startServerProcess } from '../src/http-bench';

/** Resident memory of a process in MB (Linux /proc; NaN elsewhere). */
function rssMb(pid: number): number {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const program = new Command()
  .name('bench:soak')
  .requiredOption('--model <file>', 'model.onnx or model.int8.onnx in a model directory written by the quantize stage')
  .requiredOption('--texts <file>', 'an Arrow dataset whose texts are sent')
  .option('--minutes <m>', 'how long to hold the rate', '10')
  .option('--share <x>', 'the rate held, as a share of the measured peak', '0.8')
  .option('--concurrency <n>', 'connections', '32')
  .option('--interval <s>', 'seconds per reported interval', '30')
  .option('--warmup-intervals <n>', 'intervals before memory growth is measured', '2')
  .option('--json', 'one JSON object per interval, then the summary')
  .option('--workers <n>', 'server: worker threads running the model', '2')
  .option('--threads <n>', 'server: ONNX Runtime intra-op threads', '1')
  .action(async (o) => {
    const texts = readDataset(o.texts).rows.map((r) => r.text);
    const args = serverArgs({ workers: Number(o.workers), threads: Number(o.threads), spinning: false, max_batch_size: 32, max_queue_delay_ms: 2 });
    const server = await startServerProcess(o.model, args);
    const pid = server.child.pid!;
    try {
      const requests = classifyRequests(texts);
      // the peak: as fast as it answers for 15 s (autocannon's `amount` would override the duration)
      const measured = await autocannon({ url: server.url, connections: Number(o.concurrency), duration: 15, requests, timeout: 10 });
      const peak = { qps: measured.requests.total / Math.max(measured.duration, 1e-9) };
      const rate = Math.max(1, Math.floor(peak.qps * Number(o.share)));
      console.error(`peak ${peak.qps.toFixed(0)} req/s at concurrency ${o.concurrency}; holding ${rate} req/s for ${o.minutes} min`);
      const intervals = Math.max(1, Math.round((Number(o.minutes) * 60) / Number(o.interval)));
      const rows: { interval: number; requests: number; errors: number; p50_ms: number; p99_ms: number; rss_mb: number }[] = [];
      for (let i = 0; i < intervals; i++) {
        const r = await autocannon({ url: server.url, connections: Number(o.concurrency), overallRate: rate, duration: Number(o.interval), requests, timeout: 10 });
        const row = { interval: i + 1, requests: r.requests.total, errors: r.errors + r.timeouts + r.non2xx, p50_ms: r.latency.p50, p99_ms: r.latency.p99, rss_mb: rssMb(pid) };
        rows.push(row);
        if (o.json) console.log(JSON.stringify(row));
        else console.log(`${String(row.interval).padStart(3)}  ${row.requests} requests, ${row.errors} errors, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, RSS ${row.rss_mb.toFixed(1)} MB`);
      }
      // resident memory moves with garbage collection from one interval to the next: compare the median of the first
      // third of the intervals after warm-up with that of the last third
      const warm = rows.slice(Math.min(Number(o.warmupIntervals), rows.length - 1)).map((r) => r.rss_mb);
      const third = Math.max(1, Math.floor(warm.length / 3));
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const growth = warm.length > 1 ? (median(warm.slice(-third)) - median(warm.slice(0, third))) / median(warm.slice(0, third)) : 0;
      const summary = { peak_qps: peak.qps, rate, minutes: Number(o.minutes), requests: rows.reduce((a, r) => a + r.requests, 0), errors: rows.reduce((a, r) => a + r.errors, 0), max_p99_ms: Math.max(...rows.map((r) => r.p99_ms)), rss_growth_after_warmup: growth };
      if (o.json) console.log(JSON.stringify({ summary }));
      else console.log(`summary: ${summary.requests} requests at ${rate} req/s, ${summary.errors} errors, worst p99 ${summary.max_p99_ms} ms, RSS growth after warm-up ${(100 * growth).toFixed(1)}% (median of the last third of the intervals against the first)`);
      if (summary.errors > 0) process.exitCode = 1;
    } finally {
      await server.stop();
    }
  });

program.parseAsync();
