import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { goodApp, startScriptedWorld, type ScriptedWorld } from '../helpers/scriptedWorld';
import { startStack, type Stack } from '../helpers/stack';
import { startTemporal } from '../helpers/temporal';

/**
 * The task workflow on a real Temporal dev server with a real worker and real activities
 * (LocalForge on disk, the OpenAI client against a local server, HTTP callbacks to a local
 * evaluator), driven through the real API.
 */
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let world: ScriptedWorld;
let stack: Stack;
let noLlmStack: Stack;
let offlineStack: Stack;
let dataDir: string;

const secret = 'workflow-test-secret';
const request = (task: string, overrides: Record<string, unknown> = {}) =>
  world.request(task, secret, overrides);

beforeAll(async () => {
  env = await startTemporal();
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows') });
  world = await startScriptedWorld();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-wf-'));
  const common = {
    DATA_DIR: dataDir,
    API_SECRETS: secret,
    ROUND_DEADLINE_SECONDS: '120',
    IDLE_TIMEOUT: '60s',
  };
  stack = await startStack(env, bundle, {
    ...common,
    TEMPORAL_TASK_QUEUE: 'wf-test',
    OPENAI_BASE_URL: `${world.llm.url}/v1`,
    OPENAI_API_KEY: 'sk-workflow-test-0123456789',
    LLM_MODELS: 'fake-model',
  });
  // Models named but no provider to ask: rounds fail and say so (never a silent offline fallback).
  noLlmStack = await startStack(env, bundle, {
    ...common,
    TEMPORAL_TASK_QUEUE: 'wf-test-no-llm',
    LLM_MODELS: 'gpt-4.1-mini',
  });
  // Nothing configured at all: the offline generator, as `npm start` on a fresh machine.
  offlineStack = await startStack(env, bundle, { ...common, TEMPORAL_TASK_QUEUE: 'wf-test-offline' });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await noLlmStack?.close();
  await offlineStack?.close();
  await env?.teardown();
  await world?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the same request POSTed 5 times at once builds once, commits once and calls back once', async () => {
  const task = 'resent-task';
  const answers = await Promise.all([1, 2, 3, 4, 5].map(() => stack.post(request(task))));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
  const round = await stack.finishedRound(task, 1);
  expect(round.state).toBe('done');
  await new Promise((r) => setTimeout(r, 1000));
  expect(world.callbacksFor(task)).toHaveLength(1);
  expect(world.llmRequestsFor(task)).toHaveLength(1);
  const gitDir = path.join(dataDir, 'forge', 'local', `${task}.git`);
  const subjects = execFileSync('git', ['--git-dir', gitDir, 'log', '--format=%s', 'main'], {
    encoding: 'utf8',
  });
  expect(subjects.trim().split('\n')).toEqual(['Round 1: publish the generated app', `Create ${task}`]);
});

test('an unusable answer is fed back to the model, and the second answer is published', async () => {
  const task = 'feedback-task';
  world.modelScripts.set(task, (n) =>
    n === 1 ? { content: 'Sure! Here is your app, hope you like it.' } : goodApp,
  );
  await stack.post(request(task));
  const round = await stack.finishedRound(task, 1);
  expect(round.state).toBe('done');
  const [first, second] = world.llmRequestsFor(task);
  expect(first!.messages).toHaveLength(2);
  expect(JSON.stringify(second!.messages)).toContain('could not be used');
  expect(world.callbacksFor(task)).toHaveLength(1);
});

test('a provider that refuses the key fails the round at once, naming OPENAI_API_KEY', async () => {
  const task = 'refused-key-task';
  world.modelScripts.set(task, () => ({ status: 401, message: 'Incorrect API key provided' }));
  await stack.post(request(task));
  const round = await stack.finishedRound(task, 1);
  expect(round.state).toBe('failed');
  expect(round.last_error).toMatch(/OPENAI_API_KEY/);
  expect(world.llmRequestsFor(task)).toHaveLength(1);
  expect(world.callbacksFor(task)).toHaveLength(0);
});

test('with no provider configured at all, the offline generator publishes an honest scaffold', async () => {
  const task = 'offline-task';
  const csv = Buffer.from('region,amount\nNorth,12.50\n').toString('base64');
  await offlineStack.post(
    request(task, {
      checks: ['document.title === "Orders"'],
      attachments: [{ name: 'orders.csv', url: `data:text/csv;base64,${csv}` }],
    }),
  );
  const round = await offlineStack.finishedRound(task, 1);
  expect(round.state).toBe('done');
  expect(round.model).toBe('offline');
  expect(world.callbacksFor(task)).toHaveLength(1);
  const page = await (await fetch(round.pages_url!)).text();
  expect(page).toMatch(/without a language model/);
  expect(page).toContain('<td>North</td><td>12.50</td>');
  // The check fails (the scaffold does not implement the brief), and the offline generator cannot repair.
  expect(round.check_attempts).toHaveLength(1);
  expect(round.check_attempts![0]!.checks[0]).toMatchObject({ outcome: 'fail' });
  expect(round.repairs_stopped).toMatch(/offline generator cannot repair/);
});

test('with models named but no provider configured, the round fails and says which variables to set', async () => {
  const task = 'no-llm-task';
  const answer = await noLlmStack.post(request(task));
  expect(answer.status).toBe(200);
  const round = await noLlmStack.finishedRound(task, 1);
  expect(round.state).toBe('failed');
  expect(round.last_error).toMatch(/No LLM is configured: set OPENAI_API_KEY/);
  expect(round.steps.find((s) => s.step === 'generate')?.error).toBe(round.last_error);
});

test('round 2 for a task never built fails clearly instead of retrying forever', async () => {
  const task = 'never-built-task';
  await stack.post(request(task, { round: 2, nonce: 'r2' }));
  const round = await stack.finishedRound(task, 2);
  expect(round.state).toBe('failed');
  expect(round.last_error).toMatch(/send round 1 for this task first/);
  expect(world.llmRequestsFor(task)).toHaveLength(0);
});

test('an evaluator that fails at first is called again until it accepts', async () => {
  const task = 'flaky-evaluator-task';
  world.evaluatorScripts.set(task, (n) => (n <= 2 ? 503 : 200));
  await stack.post(request(task));
  const round = await stack.finishedRound(task, 1);
  expect(round.state).toBe('done');
  expect(round.callback).toEqual({ status: 200, attempts: 3 });
  const times = world.callbacksFor(task).map((c) => c.receivedAt);
  expect(times).toHaveLength(3);
  // Temporal's schedule: about 1 s, then about 2 s.
  expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(800);
  expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(1600);
});
