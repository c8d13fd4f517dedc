import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics, in one registry: the API's HTTP latencies and, from the worker
 * (activities and the workflow's metrics sink), rounds, steps, repairs and callbacks. `npm start`
 * runs both in one process, so `/metrics` shows them all.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request latency by route and status.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const roundsTotal = new Counter({
  name: 'rounds_total',
  help: 'Rounds finished, by outcome (done, failed, cut_short).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const roundDuration = new Histogram({
  name: 'round_duration_seconds',
  help: 'From receiving a round to its callback (or failure).',
  buckets: [1, 5, 10, 30, 60, 120, 300, 600, 900],
  registers: [registry],
});

export const stepDuration = new Histogram({
  name: 'step_duration_seconds',
  help: 'Duration of each workflow step (activity call including its retries).',
  labelNames: ['step'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  registers: [registry],
});

export const callbacksTotal = new Counter({
  name: 'callbacks_total',
  help: 'Callback delivery attempts, by outcome (accepted, rejected, unreachable).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const repairsTotal = new Counter({
  name: 'repairs_total',
  help: 'Repair attempts started after a failing self-check.',
  registers: [registry],
});
