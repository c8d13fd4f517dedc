import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { startApi, type RunningApi } from '../../src/server';
import { freePort } from '../helpers/processes';

/** With Temporal down, the API still answers, quickly, and says nothing was accepted. */
let api: RunningApi;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-no-temporal-'));
  const closedPort = await freePort();
  const config = loadConfig({
    PORT: String(await freePort()),
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`,
  });
  api = await startApi(config, config.temporal.address!, createLogger('silent'));
});

afterAll(async () => {
  // The SDK may still hold a gRPC retry timer (≤ 0.4 s with the API's bounded retries) that would
  // fire on a closed channel and throw into the next suite of this Jest worker; let it run out.
  await new Promise((r) => setTimeout(r, 1500));
  await api?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a task cannot be accepted: 503 with a reason, not a hang or a 500', async () => {
  const res = await fetch(`http://127.0.0.1:${api.port}/api/tasks`, {
    method: 'POST',
    body: JSON.stringify({
      email: 'a@example.com',
      secret: 's',
      task: 't1',
      round: 1,
      nonce: 'n',
      brief: 'b',
      evaluation_url: 'http://127.0.0.1:9/cb',
    }),
    signal: AbortSignal.timeout(15_000),
  });
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({
    status: 'error',
    error: 'The workflow service is unavailable; the request was not accepted. Send it again later.',
  });
});

test('status answers 503 too', async () => {
  const res = await fetch(`http://127.0.0.1:${api.port}/api/tasks/t1`, {
    signal: AbortSignal.timeout(15_000),
  });
  expect(res.status).toBe(503);
});

test('liveness does not depend on Temporal', async () => {
  const res = await fetch(`http://127.0.0.1:${api.port}/health`);
  expect(await res.json()).toEqual({ status: 'ok' });
});
