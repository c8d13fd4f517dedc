import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startFakeEvaluator, type FakeEvaluator } from '../fakes/evaluatorServer';
import { appAnswer, startFakeLlm, type FakeLlm } from '../fakes/llmServer';
import {
  apiAnswering,
  freePort,
  startEntryPoint,
  waitFor,
  workerPolling,
  type ServiceProcess,
} from '../helpers/processes';
import { startTemporal } from '../helpers/temporal';

/** Production shape: the API (`npm run api`) and a worker (`npm run worker`) as separate processes on one Temporal. */
let env: TestWorkflowEnvironment;
let llm: FakeLlm;
let evaluator: FakeEvaluator;
let api: ServiceProcess;
let worker: ServiceProcess;
let dataDir: string;
let apiUrl: string;
let workerMetricsPort: number;

beforeAll(async () => {
  env = await startTemporal();
  llm = await startFakeLlm(() => appAnswer({ 'index.html': '<p>split</p>\n' }));
  evaluator = await startFakeEvaluator();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-split-'));
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  const shared = {
    PORT: String(port),
    PUBLIC_BASE_URL: apiUrl,
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: 'split-test',
    OPENAI_BASE_URL: `${llm.url}/v1`,
    LLM_MODELS: 'fake-model',
    API_SECRETS: 'split-secret',
  };
  api = startEntryPoint('server.ts', shared);
  workerMetricsPort = await freePort();
  worker = startEntryPoint('worker.ts', { ...shared, WORKER_METRICS_PORT: String(workerMetricsPort) });
  await apiAnswering(apiUrl);
  await workerPolling(worker);
}, 90_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await env?.teardown();
  await Promise.all([llm?.close(), evaluator?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

test('a round goes from the API process through Temporal to the worker process and back to the evaluator', async () => {
  const res = await fetch(`${apiUrl}/api/tasks`, {
    method: 'POST',
    body: JSON.stringify({
      email: 'e@example.com',
      secret: 'split-secret',
      task: 'split-task',
      round: 1,
      nonce: 'split-1',
      brief: 'A page',
      evaluation_url: `${evaluator.url}/cb`,
    }),
  });
  expect(res.status).toBe(200);
  const [callback] = await evaluator.waitForAccepted(1, 60_000);
  expect(callback!.body).toMatchObject({ task: 'split-task', round: 1, nonce: 'split-1' });
  expect(await fetch(String(callback!.body.pages_url)).then((r) => r.text())).toBe('<p>split</p>\n');
});

test('the API process finds the worker process through the task queue’s pollers', async () => {
  const res = await fetch(`${apiUrl}/ready`);
  const body = (await res.json()) as { components: { worker: { ok: boolean; detail: string } } };
  expect(res.status).toBe(200);
  expect(body.components.worker).toEqual({
    ok: true,
    detail: expect.stringMatching(/poller\(s\) on split-test$/),
  });
});

test('the worker serves the Temporal SDK’s metrics on WORKER_METRICS_PORT', async () => {
  const text = await (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text();
  expect(text).toMatch(/^temporal_[a-z_]+/m);
  expect(text).toContain('task_queue="split-test"');
});

test('both processes stop cleanly on SIGTERM', async () => {
  expect(await worker.stop()).toBe(0);
  expect(await api.stop()).toBe(0);
});

test('without TEMPORAL_ADDRESS the worker refuses to start and says why', async () => {
  const lone = startEntryPoint('worker.ts', { DATA_DIR: dataDir });
  expect(await lone.exited).toBe(1);
  expect(lone.output()).toContain('TEMPORAL_ADDRESS is required');
});

test('npm start with TEMPORAL_ADDRESS set runs only the worker and the API, on that Temporal', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = startEntryPoint('main.ts', {
    PORT: String(port),
    PUBLIC_BASE_URL: url,
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: 'split-main',
    OPENAI_BASE_URL: `${llm.url}/v1`,
    LLM_MODELS: 'fake-model',
  });
  try {
    await apiAnswering(url, 'the service');
    const res = await fetch(`${url}/api/tasks`, {
      method: 'POST',
      body: JSON.stringify({
        email: 'e@example.com',
        secret: 'any',
        task: 'main-on-external-temporal',
        round: 1,
        nonce: 'm-1',
        brief: 'A page',
        evaluation_url: `${evaluator.url}/cb`,
      }),
    });
    expect(res.status).toBe(200);
    await waitFor(
      async () =>
        evaluator.callbacks.some((c) => c.body.task === 'main-on-external-temporal') ? true : undefined,
      60_000,
      'the callback',
    );
    expect(service.output()).not.toContain('starting the embedded Temporal dev server');
    expect(await service.stop()).toBe(0);
  } finally {
    await service.stop();
  }
});
