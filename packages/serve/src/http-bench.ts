/**
 * HTTP load test of the classification service (autocannon), loopback only: the server runs as a child process on a
 * free port; each point sends single-text requests drawn from real test sentences at a fixed concurrency, bounded in
 * requests and in time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import autocannon from 'autocannon';

export interface HttpPoint {
  model: string;
  concurrency: number;
  requests: number;
  qps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

/**
 * How the load-tested server runs: where the model runs (`workers` worker threads, each its own ONNX Runtime session
 * with `threads` intra-op threads, batches side by side; 0 = one session in the server's own thread), whether idle
 * ONNX Runtime threads spin, and its dynamic batching.
 */
export interface ServerSettings {
  workers: number;
  threads: number;
  spinning: boolean;
  max_batch_size: number;
  max_queue_delay_ms: number;
}

/** The `server-cli.ts` arguments for `s`. */
export function serverArgs(s: ServerSettings): string[] {
  return ['--workers', String(s.workers), '--threads', String(s.threads), '--max-batch-size', String(s.max_batch_size), '--max-queue-delay-ms', String(s.max_queue_delay_ms), ...(s.spinning ? [] : ['--no-spinning'])];
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `server-cli.ts` for `modelFile` on 127.0.0.1 and a free port; resolves once it is ready. */
export function startServerProcess(modelFile: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const cli = path.join(__dirname, 'server-cli.ts');
  const child = spawn(process.execPath, ['--import', require.resolve('tsx'), cli, '--model', modelFile, '--host', '127.0.0.1', '--port', '0', ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not become ready in 60 s: ${stderr.slice(-500)}`));
    }, 60_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /on (http:\/\/127\.0\.0\.1:\d+) \(ready/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        const stop = () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          });
        resolve({ url: m[1], child, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code}: ${stderr.slice(-500)}`));
    });
  });
}

/** Single-text classify requests for autocannon, one per text (the first 500), sent in turn. */
export function classifyRequests(texts: readonly string[]) {
  return texts.slice(0, 500).map((text) => ({ method: 'POST' as const, path: '/v1/classify', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) }));
}

export async function loadTest(url: string, texts: readonly string[], concurrency: number, maxRequests: number, maxSeconds: number, model: string): Promise<HttpPoint> {
  const requests = classifyRequests(texts);
  const result = await autocannon({ url, connections: concurrency, amount: maxRequests, duration: maxSeconds, requests, timeout: 10 });
  const total = result.requests.total;
  return {
    model,
    concurrency,
    requests: total,
    qps: total / Math.max(result.duration, 1e-9),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}
