import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  roundSignal,
  searchAttributes,
  statusQuery,
  type RoundRequest,
  type RoundState,
  type RoundStatus,
  type TaskStatus,
  type TaskWorkflowInput,
} from '../shared';

/** Quick calls to the forge: short timeouts, a handful of retries, permanent errors stop at once. */
const { ensureRepo, ensurePages, publishRound } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
});

/** The model may stream for minutes; heartbeats (progress) tell a slow model from a dead worker. */
const { generateApp } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
});

const { waitForPages } = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});

/** The protocol's callback schedule: 1, 2, 4, 8 … s, capped at 60 s, for up to a day. */
const { notifyEvaluator } = proxyActivities<Activities>({
  startToCloseTimeout: '45 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});

/**
 * One workflow per task. Rounds arrive as `round` signals and queue up; the loop runs them one at
 * a time in arrival order; a nonce seen before is ignored. When the queue stays empty for the idle
 * timeout, the workflow completes.
 */
export async function taskWorkflow(input: TaskWorkflowInput): Promise<TaskStatus> {
  const rounds: RoundStatus[] = [];
  const queue: RoundRequest[] = [];
  const seenNonces = new Set<string>();

  setHandler(roundSignal, (req) => {
    if (seenNonces.has(req.nonce)) {
      log.info('ignoring a re-sent round', { round: req.round, nonce: req.nonce });
      return;
    }
    seenNonces.add(req.nonce);
    queue.push(req);
    rounds.push({
      round: req.round,
      nonce: req.nonce,
      state: 'queued',
      receivedAt: req.receivedAt,
      deadlineAt: req.receivedAt + input.roundDeadlineMs,
      steps: [],
    });
  });
  setHandler(statusQuery, () => ({ task: input.task, rounds }));

  for (;;) {
    await condition(() => queue.length > 0, input.idleTimeoutMs);
    const next = queue.shift();
    if (!next) break;
    const status = rounds.find((r) => r.nonce === next.nonce)!;
    await runRound(input.task, next, status);
  }
  await condition(allHandlersFinished);
  return { task: input.task, rounds };
}

async function runRound(task: string, req: RoundRequest, status: RoundStatus): Promise<void> {
  try {
    setState(status, 'generating');
    const repo = await timed(status, 'ensureRepo', () =>
      ensureRepo({ task, description: req.briefPreview, mustExist: req.round > 1 }),
    );
    status.repoUrl = repo.url;
    // Pages provisioning is slow on GitHub; it overlaps with the model's time instead of following it.
    const [generated, pages] = await Promise.all([
      timed(status, 'generate', () =>
        generateApp({ task, round: req.round, spec: req.spec, attachments: req.attachments, repo }),
      ),
      timed(status, 'ensurePages', () => ensurePages({ repo })),
    ]);
    status.model = generated.model;
    status.pagesUrl = pages.pagesUrl;

    setState(status, 'publishing');
    const { commitSha } = await timed(status, 'publish', () =>
      publishRound({
        repo,
        round: req.round,
        nonce: req.nonce,
        files: generated.files,
        attachments: req.attachments,
      }),
    );
    status.commitSha = commitSha;

    setState(status, 'waiting_for_pages');
    const live = await timed(status, 'waitForPages', () => waitForPages({ repo, commitSha }));
    status.pagesUrl = live.pagesUrl;

    setState(status, 'notifying');
    status.callback = await timed(status, 'notify', () =>
      notifyEvaluator({
        evaluationUrl: req.evaluationUrl,
        payload: {
          email: req.email,
          task,
          round: req.round,
          nonce: req.nonce,
          repo_url: repo.url,
          commit_sha: commitSha,
          pages_url: live.pagesUrl,
        },
      }),
    );
    setState(status, 'done');
  } catch (err) {
    status.lastError = describe(err);
    setState(status, 'failed');
    log.warn('round failed', { round: req.round, error: status.lastError });
  } finally {
    status.finishedAt = Date.now();
  }
}

function setState(status: RoundStatus, state: RoundState): void {
  status.state = state;
  upsertSearchAttributes([
    { key: searchAttributes.taskRound, value: status.round },
    { key: searchAttributes.taskState, value: state },
  ]);
}

async function timed<T>(status: RoundStatus, step: string, run: () => Promise<T>): Promise<T> {
  const timing: RoundStatus['steps'][number] = { step, startedAt: Date.now() };
  status.steps.push(timing);
  try {
    return await run();
  } catch (err) {
    timing.error = describe(err);
    throw err;
  } finally {
    timing.finishedAt = Date.now();
  }
}

/** The message a person can act on: the activity's own failure, not Temporal's wrapper. */
function describe(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  if (err instanceof ApplicationFailure || err instanceof Error) return err.message;
  return String(err);
}
