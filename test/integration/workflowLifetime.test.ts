import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startScriptedWorld, type ScriptedWorld } from '../helpers/scriptedWorld';
import { startStack, type Stack } from '../helpers/stack';
import { startTemporal } from '../helpers/temporal';

/**
 * How long a task workflow lives: it continues as new when Temporal suggests it (here after 30
 * history events, via the dev server's dynamic config) and completes after IDLE_TIMEOUT; neither
 * loses a round, a nonce or the repo.
 */
let env: TestWorkflowEnvironment;
let world: ScriptedWorld;
let stack: Stack;
let dataDir: string;
const secret = 'lifetime-secret';
const request = (task: string, overrides: Record<string, unknown> = {}) =>
  world.request(task, secret, overrides);

beforeAll(async () => {
  env = await startTemporal(['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=30']);
  world = await startScriptedWorld();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-lifetime-'));
  stack = await startStack(
    env,
    await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows') }),
    {
      DATA_DIR: dataDir,
      API_SECRETS: secret,
      IDLE_TIMEOUT: '3s',
      TEMPORAL_TASK_QUEUE: 'lifetime',
      OPENAI_BASE_URL: `${world.llm.url}/v1`,
      LLM_MODELS: 'fake-model',
    },
  );
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await env?.teardown();
  await world?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a long history continues as new, keeping rounds and the nonces it has seen', async () => {
  const task = 'long-lived';
  await stack.post(request(task));
  const r1 = await stack.finishedRound(task, 1);
  await stack.post(request(task, { round: 2, nonce: `${task}-nonce-2` }));
  const r2 = await stack.finishedRound(task, 2);
  expect([r1.state, r2.state]).toEqual(['done', 'done']);

  const runs = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = 'task-${task}'` }))
    runs.push(wf.status.name);
  expect(runs).toContain('CONTINUED_AS_NEW');

  const status = (await (await fetch(`${stack.api}/api/tasks/${task}`)).json()) as {
    rounds: { round: number }[];
  };
  expect(status.rounds.map((r) => r.round)).toEqual([1, 2]);
  const resent = await stack.post(request(task));
  expect(resent.json).toMatchObject({ status: 'duplicate', round: 1 });
  expect(world.callbacksFor(task)).toHaveLength(2);
});

test('an idle workflow completes, and a later round 2 starts a fresh one that revises the repo', async () => {
  const task = 'idle-then-revised';
  world.modelScripts.set(task, (n) => ({
    content: JSON.stringify({
      files: [{ path: 'index.html', content: n === 1 ? '<p>v1</p>' : '<p>v1</p><p>v2</p>' }],
    }),
  }));
  await stack.post(request(task));
  const r1 = await stack.finishedRound(task, 1);
  const handle = env.client.workflow.getHandle(`task-${task}`);
  const until = Date.now() + 20_000;
  while ((await handle.describe()).status.name === 'RUNNING' && Date.now() < until)
    await new Promise((r) => setTimeout(r, 200));
  expect((await handle.describe()).status.name).toBe('COMPLETED');

  await stack.post(request(task, { round: 2, nonce: `${task}-nonce-2` }));
  const r2 = await stack.finishedRound(task, 2);
  expect(r2.state).toBe('done');
  expect(r2.repo_url).toBe(r1.repo_url);
  expect(JSON.stringify(world.llmRequestsFor(task)[1]!.messages)).toContain('<p>v1</p>');
});
