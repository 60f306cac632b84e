/**
 * An OnnxClassifier in a worker thread. onnxruntime-node runs a session synchronously on the thread that calls it, so
 * in the HTTP server's own thread every model run would stop request handling; with the model in a worker, the server
 * parses, queues and answers requests while the model runs.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ClassifierOptions, Prediction } from '@distill/runtime';
import type { TextClassifier } from './server';

export type WorkerRequest = { kind: 'classify'; id: number; texts: readonly string[]; topK: number } | { kind: 'dispose' };
export type WorkerReply =
  | { kind: 'ready'; labels: string[]; maxLength: number }
  | { kind: 'result'; id: number; predictions: Prediction[] }
  | { kind: 'error'; id: number; message: string };

const WORKER_EXITED = 'the classifier worker exited';

export class WorkerClassifier implements TextClassifier {
  private nextId = 0;
  private exited = false;
  private readonly pending = new Map<number, { resolve(p: Prediction[]): void; reject(e: Error): void }>();

  private constructor(private readonly worker: Worker, readonly modelFile: string, readonly labels: string[], readonly maxLength: number) {
    worker.on('message', (m: WorkerReply) => {
      if (m.kind === 'ready') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.kind === 'result') p.resolve(m.predictions);
      else p.reject(new Error(m.message));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      this.exited = true;
      this.failAll(new Error(WORKER_EXITED));
    });
  }

  /** Starts a worker that loads `modelFile` (OnnxClassifier.load with `options`); resolves once the model is loaded. */
  static load(modelFile: string, options: ClassifierOptions = {}): Promise<WorkerClassifier> {
    const worker = new Worker(path.join(__dirname, 'classifier-worker.js'), { workerData: { modelFile, options } });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      worker.once('error', onError);
      worker.once('message', (m: WorkerReply) => {
        worker.off('error', onError);
        if (m.kind === 'ready') resolve(new WorkerClassifier(worker, modelFile, m.labels, m.maxLength));
        else {
          reject(new Error(m.kind === 'error' ? m.message : `unexpected first message from the classifier worker: ${m.kind}`));
          void worker.terminate();
        }
      });
    });
  }

  classify(texts: readonly string[], topK = 1): Promise<Prediction[]> {
    if (this.exited) return Promise.reject(new Error(WORKER_EXITED));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'classify', id, texts, topK } satisfies WorkerRequest);
    });
  }

  async dispose(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ kind: 'dispose' } satisfies WorkerRequest);
    await exited;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
