import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startFakeGitHub, type FakeGitHub } from '../fakes/githubServer';
import { chaosSeed, seededRandom } from '../helpers/chaosSeed';
import { startScriptedWorld, type ScriptedWorld } from '../helpers/scriptedWorld';
import { startStack, type Stack } from '../helpers/stack';
import { startTemporal } from '../helpers/temporal';

/**
 * Load with faults: 300 tasks over 60 s through the real API and worker, publishing to the local
 * GitHub server while it fails 10% of calls with a 5xx and hits one secondary rate limit, and the
 * evaluator refuses 20% of callbacks. Every round must be delivered, and no callback accepted twice.
 */
const tasks = Number(process.env.CHAOS_LOAD_TASKS ?? 300);
const seconds = Number(process.env.CHAOS_LOAD_SECONDS ?? 60);
const secret = 'load-secret';
let env: TestWorkflowEnvironment;
let world: ScriptedWorld;
let gh: FakeGitHub;
let stack: Stack;
let dataDir: string;

beforeAll(async () => {
  env = await startTemporal();
  world = await startScriptedWorld();
  gh = await startFakeGitHub();
  gh.timing.queueMs = 20;
  gh.timing.buildMs = 50;
  gh.timing.firstBuildMs = 100;
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-load-'));
  stack = await startStack(
    env,
    await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows') }),
    {
      DATA_DIR: dataDir,
      API_SECRETS: secret,
      TEMPORAL_TASK_QUEUE: 'load-with-faults',
      GITHUB_TOKEN: gh.token,
      GITHUB_API_URL: gh.url,
      OPENAI_BASE_URL: `${world.llm.url}/v1`,
      LLM_MODELS: 'fake-model',
      IDLE_TIMEOUT: '30s',
    },
  );
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await env?.teardown();
  await Promise.all([world?.close(), gh?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

test(`${tasks} tasks over ${seconds} s with GitHub 5xx (10%), a secondary rate limit and a flaky evaluator`, async () => {
  const seed = chaosSeed('load with faults');
  const random = seededRandom(seed);
  gh.randomFaults.random = random;
  gh.randomFaults.rate = 0.1;
  gh.inject('POST /repos/{owner}/{repo}/git/trees', {
    status: 403,
    message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
    headers: { 'retry-after': '1' },
  });
  const names = Array.from({ length: tasks }, (_, i) => `load-${seed}-${i}`);
  for (const task of names) world.evaluatorScripts.set(task, () => (random() < 0.2 ? 503 : 200));

  const started = Date.now();
  const answers: number[] = [];
  for (const [i, task] of names.entries()) {
    const due = started + (i * seconds * 1000) / tasks;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    answers.push((await stack.post(world.request(task, secret))).status);
  }
  expect(answers.filter((s) => s !== 200)).toEqual([]);

  // A failed round never calls back: stop waiting as soon as the service counts one.
  const failedRounds = async () => {
    const text = await (await fetch(`${stack.api}/metrics`)).text();
    return Number(/^rounds_total\{outcome="failed"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };
  const until = Date.now() + 10 * 60_000;
  for (let poll = 0; ; poll++) {
    const accepted = world.evaluator.callbacks.filter((c) => c.answeredWith === 200);
    if (new Set(accepted.map((c) => c.body.task)).size >= tasks) break;
    if (Date.now() > until || (poll % 10 === 0 && (await failedRounds()) > 0)) {
      // Say which rounds are missing and where they stand, so a failing seed can be diagnosed.
      const delivered = new Set(accepted.map((c) => c.body.task));
      const missing = names.filter((task) => !delivered.has(task));
      const shown = await Promise.all(
        missing
          .slice(0, 10)
          .map(async (task) => `${task}: ${await (await fetch(`${stack.api}/api/tasks/${task}`)).text()}`),
      );
      throw new Error(
        `only ${delivered.size} of ${tasks} rounds called back; the first missing ones:\n${shown.join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 2_000)); // a duplicate would show up by now
  for (const task of names) {
    const accepted = world.callbacksFor(task).filter((c) => c.answeredWith === 200);
    expect({ task, accepted: accepted.length }).toEqual({ task, accepted: 1 });
    // One repo per task, and exactly one round commit in it.
    const commits = gh.commitMessages(gh.login, task).filter((m) => m.startsWith('Round 1'));
    expect({ task, commits: commits.length }).toEqual({ task, commits: 1 });
  }
  const refused = world.evaluator.callbacks.filter((c) => c.answeredWith !== 200).length;
  console.log(
    `load with faults: ${tasks} rounds delivered in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
      `${refused} callbacks refused and retried`,
  );
  expect(refused).toBeGreaterThan(0);
});
