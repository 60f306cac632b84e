/** Prometheus metrics of the classification service (prom-client, one registry per server). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({ name: 'classify_requests_total', help: 'Classification requests by HTTP status', labelNames: ['status'] as const, registers: [registry] }),
    errors: new Counter({ name: 'classify_errors_total', help: 'Requests answered with a 4xx or 5xx status', labelNames: ['status'] as const, registers: [registry] }),
    texts: new Counter({ name: 'classify_texts_total', help: 'Texts classified', registers: [registry] }),
    latency: new Histogram({ name: 'classify_request_duration_seconds', help: 'Request latency', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
    batchSize: new Histogram({ name: 'classify_batch_size', help: 'Texts per model run (dynamic batching)', buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [registry] }),
    batchSeconds: new Histogram({ name: 'classify_batch_duration_seconds', help: 'Model run time per batch', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1], registers: [registry] }),
    queueDepth: new Gauge({ name: 'classify_queue_depth', help: 'Texts waiting for the model', registers: [registry] }),
  };
}

export type ServiceMetrics = ReturnType<typeof createMetrics>;
