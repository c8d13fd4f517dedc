import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { PresentedRound } from '../../src/api/taskStatus';
import { loadTaskTemplate, type TaskTemplate } from '../../src/evaluator/taskTemplate';
import { localForgeRoot } from '../../src/forge/createForge';
import { startFakeEvaluator, type FakeEvaluator } from '../fakes/evaluatorServer';
import { startFakeLlm, type FakeLlm } from '../fakes/llmServer';
import { serveCdnFromNodeModules } from '../helpers/localCdn';
import { misspelt, sampleModel } from '../helpers/sampleApps';
import { startStack, type Stack } from '../helpers/stack';
import { recordHistory, startTemporal } from '../helpers/temporal';

/**
 * The example tasks (examples/tasks, the shapes evaluators send) through the whole pipeline: API,
 * workflow, LocalForge, Pages, the self-check in Chromium and the repair loop. The scripted model's
 * first round-1 answer misspells an id the checks read; its repair answer is right. Round 2 is
 * right at once and must keep round 1's checks passing. CDN libraries come from node_modules.
 */

const examples = path.join(__dirname, '..', '..', 'examples', 'tasks');
const secret = 'sample-tasks-secret';
let env: TestWorkflowEnvironment;
let llm: FakeLlm;
let evaluator: FakeEvaluator;
let stack: Stack;
let dataDir: string;

beforeAll(async () => {
  env = await startTemporal();
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows') });
  llm = await startFakeLlm((req) => sampleModel(req.messages, { firstAnswerWrong: true }));
  evaluator = await startFakeEvaluator();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-samples-'));
  stack = await startStack(
    env,
    bundle,
    {
      DATA_DIR: dataDir,
      API_SECRETS: secret,
      TEMPORAL_TASK_QUEUE: 'sample-tasks',
      OPENAI_BASE_URL: `${llm.url}/v1`,
      LLM_MODELS: 'fake-model',
      CHECK_TIMEOUT_SECONDS: '3',
    },
    { serveLocally: serveCdnFromNodeModules },
  );
}, 120_000);

afterAll(async () => {
  // Two rounds with a repair, for the replay test (after a deliberate, compatible workflow change).
  if (process.env.RECORD_HISTORIES) await recordHistory(env, 'task-csv-dashboard', 'sample-task-with-repair');
  await stack?.close();
  await env?.teardown();
  await llm?.close();
  await evaluator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function requestFor(template: TaskTemplate, round: number): Record<string, unknown> {
  const spec = template.rounds[round - 1]!;
  return {
    email: 'student@example.com',
    secret,
    task: template.id,
    round,
    nonce: `${template.id}-r${round}`,
    brief: spec.brief,
    checks: spec.checks,
    evaluation_url: `${evaluator.url}/callback`,
    attachments: spec.attachments.map((a) => ({
      name: a.name,
      url: `data:${a.type};base64,${Buffer.from(a.text).toString('base64')}`,
    })),
  };
}

/** Commit subjects on main of the task's repo, oldest first. */
function commitTitles(task: string): string[] {
  const gitDir = path.join(localForgeRoot(stack.config), 'local', `${task}.git`);
  return execFileSync('git', ['--git-dir', gitDir, 'log', '--reverse', '--format=%s', 'main'], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
}

const jsResults = (round: PresentedRound, attempt: number) =>
  round.check_attempts![attempt]!.checks.filter((c) => c.kind === 'js');

describe.each(['csv-dashboard', 'image-caption', 'markdown-viewer'])('sample task %s', (id) => {
  let template: TaskTemplate;
  beforeAll(async () => {
    template = await loadTaskTemplate(path.join(examples, `${id}.yaml`));
  });

  test('round 1 ends with every check passing after exactly one repair commit', async () => {
    expect((await stack.post(requestFor(template, 1))).status).toBe(200);
    const round = await stack.finishedRound(id, 1, 90_000);
    expect(round.state).toBe('done');
    expect(round.repairs).toBe(1);
    expect(round.check_attempts).toHaveLength(2);

    const [typoId] = misspelt[id]!;
    const first = jsResults(round, 0);
    expect(first.some((c) => c.outcome !== 'pass' && c.check.includes(typoId))).toBe(true);
    const last = round.check_attempts![1]!;
    expect(last.checks.map((c) => c.check)).toEqual(template.rounds[0]!.checks);
    expect(last.checks.every((c) => c.outcome === 'pass')).toBe(true);
    expect(last.passed).toBe(last.total);
    expect(round.best_attempt).toBe(1);

    const titles = commitTitles(id);
    expect(titles.filter((t) => t.startsWith('Round 1: repair'))).toEqual([
      'Round 1: repair 1 (fix failing checks)',
    ]);
    expect(titles.filter((t) => t.startsWith('Round 1:'))).toHaveLength(2);

    const callbacks = evaluator.callbacks.filter((c) => c.body.task === id && c.body.round === 1);
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0]!.body.commit_sha).toBe(last.commit_sha);
    expect(round.commit_sha).toBe(last.commit_sha);

    const screenshot = await fetch(last.screenshot_url!);
    expect(screenshot.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await screenshot.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  }, 120_000);

  test('round 2 passes its own checks and keeps round 1’s passing, without a repair', async () => {
    expect((await stack.post(requestFor(template, 2))).status).toBe(200);
    const round = await stack.finishedRound(id, 2, 90_000);
    expect(round.state).toBe('done');
    expect(round.repairs).toBe(0);
    const checked = round.check_attempts![0]!;
    const expected = new Set([...template.rounds[1]!.checks, ...template.rounds[0]!.checks]);
    expect(new Set(checked.checks.map((c) => c.check))).toEqual(expected);
    expect(checked.checks.filter((c) => c.from_round === 1).length).toBeGreaterThan(0);
    expect(checked.checks.filter((c) => c.outcome !== 'pass')).toEqual([]);
    expect(evaluator.callbacks.filter((c) => c.body.task === id && c.body.round === 2)).toHaveLength(1);
  }, 120_000);
});
