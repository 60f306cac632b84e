#!/usr/bin/env tsx
/**
 * Serve a model directory over HTTP:
 *   npx tsx packages/serve/src/server-cli.ts --model artifacts/tnews/quantize/student/model.int8.onnx [--port 8080]
 */
import * as fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { OnnxClassifier } from '@distill/runtime';
import { ClassificationServer, DEFAULT_SERVER } from './server';
import { WorkerClassifier } from './worker-classifier';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};

/**
 * The processes that launched this one (npx, npm exec, sh -c, the tsx wrapper): walking up from the parent while the
 * process is such a launcher. Linux only (/proc); elsewhere none.
 */
function launchers(): number[] {
  const out: number[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < 6 && pid > 1; depth++) {
    let comm: string;
    let stat: string;
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      break;
    }
    if (!/^(node|npm|npx|sh|tsx)\b|^npm exec/.test(comm)) break;
    out.push(pid);
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // field 4: the parent's pid
  }
  return out;
}

/** Calls `stop` once any of `pids` has exited: the server stops with whatever started it (e.g. npx getting SIGTERM). */
function watchLaunchers(pids: number[], stop: (why: string) => void): void {
  if (!pids.length) return;
  const timer = setInterval(() => {
    const gone = pids.find((pid) => !fs.existsSync(`/proc/${pid}`));
    if (gone !== undefined) {
      clearInterval(timer);
      stop(`the process that started the server (pid ${gone}) has exited`);
    }
  }, 500);
  timer.unref();
}

const program = new Command()
  .name('serve')
  .description('HTTP classification service with dynamic batching')
  .requiredOption('-m, --model <file>', 'model.onnx or model.int8.onnx inside a model directory written by the quantize stage')
  .option('--host <host>', 'address to bind', DEFAULT_SERVER.host)
  .option('-p, --port <port>', 'port (0 = any free port)', int('port'), DEFAULT_SERVER.port)
  .option('--workers <n>', 'worker threads running the model, each its own ONNX Runtime session, batches side by side (0 = in the server thread, which then answers no request while the model runs)', int('workers'), 1)
  .option('--threads <n>', 'ONNX Runtime intra-op threads per session', int('threads'), 1)
  .option('--no-spinning', "idle ONNX Runtime threads sleep instead of spinning (when the machine's cores are shared)")
  .option('--max-batch-size <n>', 'texts per model run', int('max-batch-size'), DEFAULT_SERVER.maxBatchSize)
  .option('--max-queue-delay-ms <ms>', 'how long an idle model waits for a batch to fill', int('max-queue-delay-ms'), DEFAULT_SERVER.maxQueueDelayMs)
  .option('--max-texts <n>', 'texts per request', int('max-texts'), DEFAULT_SERVER.maxTexts)
  .option('--max-chars <n>', 'characters per text', int('max-chars'), DEFAULT_SERVER.maxChars)
  .option('--body-limit <bytes>', 'request body size limit', int('body-limit'), DEFAULT_SERVER.bodyLimitBytes)
  .option('--request-timeout-ms <ms>', 'a request must arrive whole within this (408 after)', int('request-timeout-ms'), DEFAULT_SERVER.requestTimeoutMs)
  .option('--grace-ms <ms>', 'on SIGTERM, how long accepted requests get before every connection is cut', int('grace-ms'), DEFAULT_SERVER.graceMs)
  .option('--threshold <p>', 'answer the fallback label when the top score is below this', parseFloat)
  .option('--fallback-label <label>', 'label for low-confidence texts', 'unknown')
  .action(async (o) => {
    const server = new ClassificationServer({
      host: o.host,
      port: o.port,
      bodyLimitBytes: o.bodyLimit,
      maxTexts: o.maxTexts,
      maxChars: o.maxChars,
      maxBatchSize: o.maxBatchSize,
      maxQueueDelayMs: o.maxQueueDelayMs,
      instances: Math.max(1, o.workers),
      requestTimeoutMs: o.requestTimeoutMs,
      graceMs: o.graceMs,
      threshold: o.threshold,
      fallbackLabel: o.fallbackLabel,
    });
    let stopping = false;
    const stop = async (why: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`${why}: finishing requests in flight`);
      await server.close();
      process.exit(0);
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(signal));
    watchLaunchers(launchers(), (why) => void stop(why));
    try {
      const options = { threads: o.threads, spinning: o.spinning };
      const address = await server.start(() => (o.workers > 0 ? WorkerClassifier.load(o.model, options) : OnnxClassifier.load(o.model, options)));
      console.error(`serving ${o.model} on ${address} (ready, pid ${process.pid})`);
    } catch (err) {
      console.error(`error: ${(err as Error).message}`);
      await server.close();
      process.exit(1);
    }
  });

program.parseAsync();
