/**
 * The worker-thread side of `WorkerClassifier`: loads an OnnxClassifier and answers classify requests from the main
 * thread, one at a time, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OnnxClassifier, type ClassifierOptions } from '@distill/runtime';
import type { WorkerReply, WorkerRequest } from './worker-classifier';

const { modelFile, options } = workerData as { modelFile: string; options: ClassifierOptions };
const port = parentPort!;

OnnxClassifier.load(modelFile, options).then(
  (clf) => {
    port.postMessage({ kind: 'ready', labels: clf.labels, maxLength: clf.serving.max_length } satisfies WorkerReply);
    port.on('message', async (m: WorkerRequest) => {
      if (m.kind === 'dispose') {
        await clf.dispose();
        port.close();
        return;
      }
      try {
        port.postMessage({ kind: 'result', id: m.id, predictions: await clf.classify(m.texts, m.topK) } satisfies WorkerReply);
      } catch (err) {
        port.postMessage({ kind: 'error', id: m.id, message: (err as Error).message } satisfies WorkerReply);
      }
    });
  },
  (err: Error) => port.postMessage({ kind: 'error', id: -1, message: err.message } satisfies WorkerReply),
);
