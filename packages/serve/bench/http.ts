/**
 * HTTP load test of the classification service, for tuning the server (not a test): starts `server-cli.ts` on a free
 * loopback port with the given server options, sends single-text requests drawn from the sentences of `--texts` (no
 * labels read) with autocannon at each concurrency, and prints req/s, p50/p99 latency, errors, the server's CPU use
 * (cores) and the mean batch size it ran. The serve stage's `http` section runs the same load test for the report.
 *
 *   npm run bench:http -- --model artifacts/tnews/quantize/student/model.int8.onnx --texts artifacts/tnews/data/valid.arrow
 *   options: --concurrency 1,8,32  --requests 6000  --seconds 15  --json
 *            and, passed to the server: --workers N  --threads N  --max-batch-size N  --max-queue-delay-ms N  --no-spinning
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { readDataset } from '@distill/core';
import { loadTest, serverArgs, startServerProcess } from '../src/http-bench';

/** CPU seconds used so far by a process (Linux /proc; null elsewhere). */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return null;
  }
}

/** A Prometheus counter's value from a /metrics text. */
function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

const program = new Command()
  .name('bench:http')
  .requiredOption('--model <file>', 'model.onnx or model.int8.onnx in a model directory written by the quantize stage')
  .requiredOption('--texts <file>', 'an Arrow dataset (e.g. artifacts/tnews/data/valid.arrow) whose texts are sent')
  .option('--concurrency <list>', 'comma-separated connection counts', '1,8,32')
  .option('--requests <n>', 'requests per point (upper bound)', '6000')
  .option('--seconds <s>', 'seconds per point (upper bound)', '15')
  .option('--json', 'one JSON object per point')
  .option('--workers <n>', 'server: worker threads running the model, each its own session (0 = the server thread)', '1')
  .option('--threads <n>', 'server: ONNX Runtime intra-op threads', '2')
  .option('--max-batch-size <n>', 'server: texts per model run', '32')
  .option('--max-queue-delay-ms <ms>', 'server: how long an idle model waits for a batch to fill', '2')
  .option('--no-spinning', 'server: idle ONNX Runtime threads sleep instead of spinning')
  .action(async (o) => {
    const texts = readDataset(o.texts).rows.map((r) => r.text);
    const args = serverArgs({ workers: Number(o.workers), threads: Number(o.threads), spinning: o.spinning, max_batch_size: Number(o.maxBatchSize), max_queue_delay_ms: Number(o.maxQueueDelayMs) });
    const server = await startServerProcess(o.model, args);
    try {
      for (const c of String(o.concurrency).split(',').map(Number)) {
        const before = await (await fetch(`${server.url}/metrics`)).text();
        const cpu0 = cpuSeconds(server.child.pid!);
        const t0 = process.hrtime.bigint();
        const point = await loadTest(server.url, texts, c, Number(o.requests), Number(o.seconds), o.model);
        const wall = Number(process.hrtime.bigint() - t0) / 1e9;
        const cpu1 = cpuSeconds(server.child.pid!);
        const after = await (await fetch(`${server.url}/metrics`)).text();
        const batches = metric(after, 'classify_batch_size_count') - metric(before, 'classify_batch_size_count');
        const batched = metric(after, 'classify_batch_size_sum') - metric(before, 'classify_batch_size_sum');
        const row = {
          ...point,
          server: args.join(' '),
          server_cpu_cores: cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / wall,
          mean_batch_size: batches > 0 ? batched / batches : null,
        };
        if (o.json) console.log(JSON.stringify(row));
        else console.log(`concurrency ${c}: ${row.qps.toFixed(0)} req/s, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, ${row.errors} errors; server ${row.server_cpu_cores?.toFixed(2) ?? '?'} cores, mean batch ${row.mean_batch_size?.toFixed(1) ?? '?'} (${row.server})`);
      }
    } finally {
      await server.stop();
    }
  });

program.parseAsync();
