import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { CheckRunOptions } from '../../src/checks/runChecks';
import { createApp } from '../../src/api/app';
import { LocalBlobStore } from '../../src/blobs/blobStore';
import { loadConfig, type Config } from '../../src/config';
import { createLocalForge, localForgeRoot } from '../../src/forge/createForge';
import { localForgeRouter } from '../../src/forge/localForgeHttp';
import { createLogger, type Logger } from '../../src/log';
import type { PresentedRound } from '../../src/api/taskStatus';
import { buildActivityDeps, metricsSinks } from '../../src/worker';

/** The API and a worker, in this process, on a shared Temporal test environment. */
export interface Stack {
  api: string;
  config: Config;
  worker: Worker;
  close(): Promise<void>;
  post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Polls the status endpoint until the round reaches `done` or `failed`. */
  finishedRound(task: string, round: number, timeoutMs?: number): Promise<PresentedRound>;
}

export async function startStack(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundle,
  vars: Record<string, string>,
  options: { serveLocally?: CheckRunOptions['serveLocally']; logger?: Logger } = {},
): Promise<Stack> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'silent',
    // Checks that fail are re-polled this long; the production default (15 s) would only slow tests.
    CHECK_TIMEOUT_SECONDS: '2',
    // Suites send many tasks from one address; the limit itself has its own test.
    RATE_LIMIT_PER_MINUTE: '0',
    ...vars,
  });
  const logger = options.logger ?? createLogger('silent');
  const deps = buildActivityDeps(config);
  const localForge = createLocalForge(config);
  let workerState = () => 'INITIALIZED';
  const app = createApp({
    config,
    temporal: env.client,
    blobs: new LocalBlobStore(path.join(config.dataDir, 'blobs')),
    logger,
    forge: localForge,
    forgeRoutes: localForgeRouter(localForge, localForgeRoot(config)),
    localWorker: () => workerState(),
  });
  server.on('request', app);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: bundle,
    sinks: metricsSinks(),
    activities: createActivities({
      ...deps,
      pagesPollIntervalMs: 50,
      checks: { ...deps.checks, serveLocally: options.serveLocally },
    }),
  });
  workerState = () => worker.getState();
  const running = worker.run();
  const api = `http://127.0.0.1:${port}`;

  return {
    api,
    config,
    worker,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await deps.checks.browser?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    async post(body) {
      const res = await fetch(`${api}/api/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
    async finishedRound(task, round, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const res = await fetch(`${api}/api/tasks/${task}`);
        if (res.ok) {
          const status = (await res.json()) as { rounds: PresentedRound[] };
          const r = status.rounds.find((x) => x.round === round);
          if (r && (r.state === 'done' || r.state === 'failed')) return r;
        }
        if (Date.now() > until)
          throw new Error(`round ${round} of ${task} did not finish in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
