import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxySinks,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import type { Activities, GenerateAppResult, SpecOfRound } from '../activities';
import { progressMarkdown } from './progressReport';
import type { RepoRef } from '../forge/forge';
import {
  type MetricsSinks,
  type CheckAttempt,
  type FileRef,
  roundSignal,
  searchAttributes,
  statusQuery,
  type RoundRequest,
  type RoundState,
  type RoundStatus,
  type TaskStatus,
  type TaskWorkflowInput,
} from '../shared';

/**
 * Transient forge errors (5xx, rate limits) are retried for as long as the round's deadline allows:
 * a publish is five GitHub calls, so with 10% of calls failing an attempt fails 41% of the time and
 * 8 attempts lost about one round in 1,250 (the load-with-faults chaos suite saw it). Permanent
 * errors (401/403/404) are non-retryable and stop at once.
 */
const forgeRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 20,
};

/** Quick calls to the forge: short timeouts, a handful of retries, permanent errors stop at once. */
const forgeCall: ActivityOptions = { startToCloseTimeout: '2 minutes', retry: forgeRetry };

/** Publishing heartbeats, so a publish lost with its worker is retried in seconds, not minutes. */
const publishCall: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: forgeRetry,
};

/**
 * The model may stream for minutes; heartbeats (every few seconds while the worker lives) tell a
 * slow model from a dead worker within 20 s. Five attempts: a worker killed mid-generation costs one,
 * and the round's deadline bounds them all anyway.
 */
const modelCall: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
};

/**
 * The wait polls through transient GitHub failures itself; an attempt fails only when a poll times
 * out, GitHub rate-limits it (Temporal then waits the time GitHub asks), or its worker is lost.
 * Those are retried like forge calls, bounded by the round's deadline (the wait runs before it),
 * not by a count that a bad patch of 5xx could exhaust.
 */
const pagesCall: ActivityOptions = {
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { ...forgeRetry, maximumInterval: '10s' },
};

/** Chromium loads the page and re-polls checks; a model may judge the prose ones. */
const checkCall: ActivityOptions = {
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 2 },
};

/** The protocol's callback schedule: 1, 2, 4, 8 … s, capped at 60 s, for up to a day. */
const notifyCall: ActivityOptions = {
  startToCloseTimeout: '45 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
};

/** The activities with these options and a one-line summary the Temporal UI shows for the call. */
function activities(options: ActivityOptions, summary: string) {
  return proxyActivities<Activities>({ ...options, summary });
}

const short = (sha: string) => sha.slice(0, 7);

const { metrics } = proxySinks<MetricsSinks>();

/** Refreshes the Markdown the Temporal UI shows as this workflow's current details. */
let refreshDetails: () => void = () => undefined;

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
      spec: req.spec,
      steps: [],
    });
  });
  setHandler(statusQuery, () => ({ task: input.task, rounds }));
  refreshDetails = () => setCurrentDetails(progressMarkdown(input.task, rounds));
  refreshDetails();

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
    await runRound(input, next, status, earlierSpecs(rounds, next.round));
  }
  await condition(allHandlersFinished);
  return { task: input.task, rounds };
}

const deadlineReached = Symbol('deadline reached');

/** The specs of earlier rounds, newest first, one per round number (the latest request for it). */
function earlierSpecs(rounds: RoundStatus[], round: number): SpecOfRound[] {
  const byRound = new Map<number, SpecOfRound>();
  for (const r of rounds)
    if (r.round < round && r.spec) byRound.set(r.round, { round: r.round, spec: r.spec });
  return [...byRound.values()].sort((a, b) => b.round - a.round);
}

async function runRound(
  input: TaskWorkflowInput,
  req: RoundRequest,
  status: RoundStatus,
  earlier: SpecOfRound[],
): Promise<void> {
  // Notify must start before the deadline, so the steps before it stop a little earlier.
  const cutoff = status.deadlineAt - Math.min(30_000, input.roundDeadlineMs / 10);
  const cycleStartedAt = Date.now();
  log.info('round started', { round: req.round, nonce: req.nonce, requestId: req.requestId });
  try {
    setState(status, 'generating');
    const repo = await timed(status, 'ensureRepo', () =>
      activities(forgeCall, `repo ${input.repoName} for round ${req.round}`).ensureRepo({
        task: input.repoName,
        description: req.briefPreview,
        mustExist: req.round > 1,
      }),
    );
    status.repoUrl = repo.url;
    // Pages provisioning is slow on GitHub; it overlaps with the model's time instead of following it.
    const pagesOn = timed(status, 'ensurePages', () =>
      activities(forgeCall, `turn on Pages for ${repo.name}`).ensurePages({ repo }),
    );
    pagesOn.catch(() => undefined); // awaited below; this only keeps an early generate failure from leaving it unhandled
    const generated = await beforeDeadline(cutoff, () =>
      timed(status, 'generate', () =>
        activities(modelCall, `generate round ${req.round} (${req.modelHint ?? 'model'})`).generateApp({
          task: input.task,
          round: req.round,
          spec: req.spec,
          earlierSpecs: earlier,
          attachments: req.attachments,
          repo,
        }),
      ),
    );
    status.pagesUrl = (await pagesOn).pagesUrl;
    if (generated === deadlineReached) return await notifyAfterCutShort(input, req, status, repo, 'generate');
    status.model = generated.model;

    const published = await publishStep({ req, status, repo, cutoff }, generated.files);
    if (published === deadlineReached) return await notifyAfterCutShort(input, req, status, repo, 'publish');
    status.commitSha = published.commitSha;

    const live = await pagesStep({ req, status, repo, cutoff }, published.commitSha).catch((err) => {
      // The commit is published: the evaluator can still grade the repo, so a Pages failure (a failed
      // build, retries exhausted) is reported with it rather than losing the round. Histories from
      // before this existed failed the round here. A cancelled workflow is not a Pages failure.
      if (isCancellation(err) || !patched('callback-after-pages-failure')) throw err;
      return { pagesFailed: describe(err) };
    });
    if (live === deadlineReached) {
      status.cutShort = 'waitForPages';
      status.lastError =
        'The deadline came before Pages served this round’s commit; called back with it anyway';
    } else if ('pagesFailed' in live) {
      status.cutShort = 'waitForPages';
      status.lastError = `Pages did not serve this round’s commit (${live.pagesFailed}); called back with it anyway`;
    } else {
      status.pagesUrl = live.pagesUrl;
      // Histories from before the self-check existed replay without it.
      if (patched('self-check') && req.quality?.selfCheck) {
        await checkAndRepair({ input, req, status, repo, earlier, cutoff, cycleStartedAt, generated });
      }
    }
    await notify(input, req, status, repo);
  } catch (err) {
    status.lastError = describe(err);
    setState(status, 'failed');
    log.warn('round failed', { round: req.round, requestId: req.requestId, error: status.lastError });
  } finally {
    status.finishedAt = Date.now();
    refreshDetails();
    const outcome = status.state === 'failed' ? 'failed' : status.cutShort ? 'cut_short' : 'done';
    metrics.roundFinished(outcome, (status.finishedAt - status.receivedAt) / 1000);
  }
}

interface RoundContext {
  input: TaskWorkflowInput;
  req: RoundRequest;
  status: RoundStatus;
  repo: RepoRef;
  earlier: SpecOfRound[];
  cutoff: number;
  /** When this round's first generation started: the first cycle's length estimates a repair's. */
  cycleStartedAt: number;
  generated: GenerateAppResult;
}

const failing = (a: CheckAttempt) => a.results.filter((r) => r.outcome === 'fail' || r.outcome === 'error');

/**
 * Runs the task's checks (and earlier rounds') against the live page; while some fail, the model
 * repairs the app, the fix is published as the next commit and checked again — up to the round's
 * repair limit and only while the deadline leaves room for another cycle as long as the last one.
 * The callback then reports the attempt with the most checks passing. Trouble here never fails the
 * round: the published app is still reported.
 */
async function checkAndRepair(ctx: RoundContext): Promise<void> {
  const { req, status, repo, cutoff } = ctx;
  const maxRepairs = req.quality?.maxRepairs ?? 0;
  const attempts: CheckAttempt[] = (status.checkAttempts = []);
  status.repairs = 0;
  // Each attempt's app as a whole (path → file), so an earlier, better attempt can be republished.
  const appOf: Map<string, FileRef>[] = [new Map(ctx.generated.files.map((f) => [f.path, f]))];
  let cycleStartedAt = ctx.cycleStartedAt;
  let lastCycleMs = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      setState(status, 'checking');
      const checked = await beforeDeadline(cutoff, () =>
        timed(status, 'selfCheck', () =>
          activities(checkCall, `self-check attempt ${attempt} @${short(status.commitSha!)}`).selfCheck({
            task: ctx.input.task,
            round: req.round,
            attempt,
            repo,
            commitSha: status.commitSha!,
            pagesUrl: status.pagesUrl!,
            specs: [{ round: req.round, spec: req.spec }, ...ctx.earlier],
          }),
        ),
      );
      if (checked === deadlineReached) {
        status.repairsStopped = 'the deadline came during the self-check';
        break;
      }
      const current: CheckAttempt = { attempt, ...checked };
      attempts.push(current);
      refreshDetails();
      lastCycleMs = Date.now() - cycleStartedAt;
      if (failing(current).length === 0) break;
      const stop = !ctx.generated.repairable
        ? 'the offline generator cannot repair'
        : status.repairs >= maxRepairs
          ? `MAX_REPAIRS (${maxRepairs}) reached`
          : Date.now() + lastCycleMs > cutoff
            ? `not enough time before the deadline for another repair (one takes about ${Math.round(lastCycleMs / 1000)} s)`
            : undefined;
      if (stop) {
        status.repairsStopped = stop;
        break;
      }
      cycleStartedAt = Date.now();
      const repaired = await repairOnce(ctx, current, attempt + 1);
      if (typeof repaired === 'string') {
        status.repairsStopped = repaired;
        break;
      }
      appOf.push(new Map([...appOf[attempt]!, ...repaired.files.map((f) => [f.path, f] as const)]));
    }
  } catch (err) {
    status.repairsStopped = `self-check failed: ${describe(err)}`;
    status.lastError = status.repairsStopped;
  }
  if (attempts.length === 0) return;
  const best = attempts.reduce((a, b) => (b.passed >= a.passed ? b : a));
  status.bestAttempt = best.attempt;
  status.commitSha = best.commitSha;
  const last = attempts[attempts.length - 1]!;
  if (best !== last && Date.now() + lastCycleMs / 2 < cutoff) {
    // Pages serves the head, so the better attempt's files go back on top of the worse one.
    const restored = await republish(ctx, [...appOf[best.attempt]!.values()], best.attempt);
    if (restored) status.commitSha = restored;
  }
}

/** One repair: new files from the model, published as the next commit and awaited on Pages. Returns why it stopped, if it did. */
async function repairOnce(
  ctx: RoundContext,
  failed: CheckAttempt,
  repair: number,
): Promise<{ files: FileRef[] } | string> {
  const { req, status, repo, cutoff } = ctx;
  try {
    metrics.repairStarted();
    setState(status, 'generating');
    const repaired = await beforeDeadline(cutoff, () =>
      timed(status, 'repair', () =>
        activities(
          modelCall,
          `repair ${repair} of round ${req.round} (${req.modelHint ?? 'model'})`,
        ).repairApp({
          task: ctx.input.task,
          round: req.round,
          spec: req.spec,
          earlierSpecs: ctx.earlier,
          attachments: req.attachments,
          repo,
          pagesUrl: status.pagesUrl!,
          failed,
        }),
      ),
    );
    if (repaired === deadlineReached) return 'the deadline came during a repair';
    status.repairs = repair;
    status.model = repaired.model;
    const published = await publishStep(ctx, repaired.files, { repair });
    if (published === deadlineReached) return 'the deadline came while publishing a repair';
    status.commitSha = published.commitSha;
    const live = await pagesStep(ctx, published.commitSha);
    if (live === deadlineReached) return 'the deadline came before Pages served a repair';
    return { files: repaired.files };
  } catch (err) {
    return `repair ${repair} failed: ${describe(err)}`;
  }
}

/** Publishes an earlier attempt's app again; returns the new commit, or undefined if there was no time. */
async function republish(ctx: RoundContext, files: FileRef[], attempt: number): Promise<string | undefined> {
  try {
    const published = await publishStep(ctx, files, { restoreOf: attempt });
    if (published === deadlineReached) return undefined;
    await pagesStep(ctx, published.commitSha);
    return published.commitSha;
  } catch (err) {
    log.warn('restoring the best attempt failed', { error: describe(err) });
    return undefined;
  }
}

type StepScope = Pick<RoundContext, 'req' | 'status' | 'repo' | 'cutoff'>;

/** One commit of `files` (the round's app, a repair, or a restored attempt), before the deadline. */
function publishStep(
  { req, status, repo, cutoff }: StepScope,
  files: FileRef[],
  which: { repair?: number; restoreOf?: number } = {},
) {
  setState(status, 'publishing');
  return beforeDeadline(cutoff, () =>
    timed(status, 'publish', () =>
      activities(
        publishCall,
        which.restoreOf !== undefined
          ? `publish round ${req.round}: restore attempt ${which.restoreOf}`
          : which.repair
            ? `publish round ${req.round}: repair ${which.repair}`
            : `publish round ${req.round}`,
      ).publishRound({
        repo,
        round: req.round,
        nonce: req.nonce,
        files,
        attachments: req.attachments,
        ...which,
      }),
    ),
  );
}

/** Waits, before the deadline, until Pages serves `commitSha`. */
function pagesStep({ status, repo, cutoff }: StepScope, commitSha: string) {
  setState(status, 'waiting_for_pages');
  return beforeDeadline(cutoff, () =>
    timed(status, 'waitForPages', () =>
      activities(pagesCall, `wait for Pages @${short(commitSha)}`).waitForPages({ repo, commitSha }),
    ),
  );
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
  const { commitSha } = await timed(status, 'currentCommit', () =>
    activities(forgeCall, `current commit of ${repo.name}`).currentCommit({ repo }),
  );
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
    activities(
      notifyCall,
      `notify evaluator: round ${req.round} @${short(status.commitSha!)}`,
    ).notifyEvaluator({
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
      // Cancelled: by the `finally` below once the work settled, or with the workflow, when the
      // work fails with the cancellation itself. Either way the timer must not win the race (it
      // used to, with `undefined`, so a cancelled round failed with a TypeError).
      () => new Promise<never>(() => undefined),
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
  refreshDetails();
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
    metrics.stepFinished(step, (timing.finishedAt - timing.startedAt) / 1000);
  }
}

/** The message a person can act on: the activity's own failure, not Temporal's wrapper. */
function describe(err: unknown): string {
  // Temporal's cancellation failures carry no message: say what happened.
  if (isCancellation(err)) return 'Cancelled (the workflow was cancelled, or the deadline stopped the step)';
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  if (err instanceof ApplicationFailure || err instanceof Error) return err.message;
  return String(err);
}
