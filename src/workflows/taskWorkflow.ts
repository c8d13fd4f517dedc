import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { Activities } from '../activities';
import type { RepoRef } from '../forge/forge';
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

const forgeRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 8,
};

/** Quick calls to the forge: short timeouts, a handful of retries, permanent errors stop at once. */
const { ensureRepo, ensurePages, currentCommit } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: forgeRetry,
});

/** Publishing heartbeats, so a publish lost with its worker is retried in seconds, not minutes. */
const { publishRound } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: forgeRetry,
});

/** The model may stream for minutes; heartbeats (progress) tell a slow model from a dead worker. */
const { generateApp } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
});

const { waitForPages } = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});

/** The protocol's callback schedule: 1, 2, 4, 8 … s, capped at 60 s, for up to a day. */
const { notifyEvaluator } = proxyActivities<Activities>({
  startToCloseTimeout: '45 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});

/** Round summaries kept across continue-as-new; older ones are dropped (their nonces are kept). */
const roundsKept = 50;

/**
 * One workflow per task. Rounds arrive as `round` signals and queue up; the loop runs them one at
 * a time in arrival order; a nonce seen before is ignored. When the queue stays empty for the idle
 * timeout, the workflow completes; when history grows long, it continues as new with its state.
 */
export async function taskWorkflow(input: TaskWorkflowInput): Promise<TaskStatus> {
  const rounds: RoundStatus[] = input.carried?.rounds ?? [];
  const queue: RoundRequest[] = input.carried?.queue ?? [];
  const seenNonces = new Set<string>(input.carried?.seenNonces ?? []);

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
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof taskWorkflow>({
        ...input,
        carried: { rounds: rounds.slice(-roundsKept), queue, seenNonces: [...seenNonces] },
      });
    }
    await condition(() => queue.length > 0, input.idleTimeoutMs);
    const next = queue.shift();
    if (!next) break;
    const status = rounds.find((r) => r.nonce === next.nonce)!;
    await runRound(input, next, status);
  }
  await condition(allHandlersFinished);
  return { task: input.task, rounds };
}

const deadlineReached = Symbol('deadline reached');

async function runRound(input: TaskWorkflowInput, req: RoundRequest, status: RoundStatus): Promise<void> {
  // Notify must start before the deadline, so the steps before it stop a little earlier.
  const cutoff = status.deadlineAt - Math.min(30_000, input.roundDeadlineMs / 10);
  try {
    setState(status, 'generating');
    const repo = await timed(status, 'ensureRepo', () =>
      ensureRepo({ task: input.repoName, description: req.briefPreview, mustExist: req.round > 1 }),
    );
    status.repoUrl = repo.url;
    // Pages provisioning is slow on GitHub; it overlaps with the model's time instead of following it.
    const pagesOn = timed(status, 'ensurePages', () => ensurePages({ repo }));
    pagesOn.catch(() => undefined); // awaited below; this only keeps an early generate failure from leaving it unhandled
    const generated = await beforeDeadline(cutoff, () =>
      timed(status, 'generate', () =>
        generateApp({
          task: input.task,
          round: req.round,
          spec: req.spec,
          attachments: req.attachments,
          repo,
        }),
      ),
    );
    status.pagesUrl = (await pagesOn).pagesUrl;
    if (generated === deadlineReached) return await notifyAfterCutShort(input, req, status, repo, 'generate');
    status.model = generated.model;

    setState(status, 'publishing');
    const published = await beforeDeadline(cutoff, () =>
      timed(status, 'publish', () =>
        publishRound({
          repo,
          round: req.round,
          nonce: req.nonce,
          files: generated.files,
          attachments: req.attachments,
        }),
      ),
    );
    if (published === deadlineReached) return await notifyAfterCutShort(input, req, status, repo, 'publish');
    status.commitSha = published.commitSha;

    setState(status, 'waiting_for_pages');
    const live = await beforeDeadline(cutoff, () =>
      timed(status, 'waitForPages', () => waitForPages({ repo, commitSha: published.commitSha })),
    );
    if (live === deadlineReached) {
      status.cutShort = 'waitForPages';
      status.lastError =
        'The deadline came before Pages served this round’s commit; called back with it anyway';
    } else {
      status.pagesUrl = live.pagesUrl;
    }
    await notify(input, req, status, repo);
  } catch (err) {
    status.lastError = describe(err);
    setState(status, 'failed');
    log.warn('round failed', { round: req.round, error: status.lastError });
  } finally {
    status.finishedAt = Date.now();
  }
}

/** Reports the repo as it stands when the deadline cut a step short: late is worse than partial. */
async function notifyAfterCutShort(
  input: TaskWorkflowInput,
  req: RoundRequest,
  status: RoundStatus,
  repo: RepoRef,
  step: string,
): Promise<void> {
  status.cutShort = step;
  const { commitSha } = await timed(status, 'currentCommit', () => currentCommit({ repo }));
  if (!commitSha)
    throw ApplicationFailure.nonRetryable(
      `The deadline came during ${step} and the repo has no commit to report`,
    );
  status.commitSha = commitSha;
  status.lastError = `The deadline came during ${step}; called back with the repo's current commit`;
  await notify(input, req, status, repo);
}

async function notify(
  input: TaskWorkflowInput,
  req: RoundRequest,
  status: RoundStatus,
  repo: RepoRef,
): Promise<void> {
  setState(status, 'notifying');
  status.callback = await timed(status, 'notify', () =>
    notifyEvaluator({
      evaluationUrl: req.evaluationUrl,
      payload: {
        email: req.email,
        task: input.task,
        round: req.round,
        nonce: req.nonce,
        repo_url: repo.url,
        commit_sha: status.commitSha!,
        pages_url: status.pagesUrl!,
      },
    }),
  );
  setState(status, 'done');
}

/** Runs `work` until `cutoff` (workflow time); past it the work is cancelled and `deadlineReached` returned. */
async function beforeDeadline<T>(
  cutoff: number,
  work: () => Promise<T>,
): Promise<T | typeof deadlineReached> {
  const remaining = cutoff - Date.now();
  if (remaining <= 0) return deadlineReached;
  const timerScope = new CancellationScope();
  const workScope = new CancellationScope();
  const timer = timerScope
    .run(() => sleep(remaining))
    .then(
      () => deadlineReached,
      () => undefined,
    );
  const running = workScope.run(work);
  try {
    const first = await Promise.race([running, timer]);
    if (first === deadlineReached) {
      running.catch(() => undefined);
      workScope.cancel();
      return deadlineReached;
    }
    return first as T;
  } finally {
    timerScope.cancel();
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
